import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from kycuong.core.text import fold


def test_fold_removes_vietnamese_marks_and_case():
    assert fold("Quận Hoàng Mai") == "quan hoang mai"
    assert fold("Huyện Ứng Hòa") == "huyen ung hoa"
    assert fold("ĐẶNG Thị  Đào") == "dang thi dao"
    assert fold("Nguyễn Văn Hùng") == "nguyen van hung"
    assert fold(None) == ""


@given(
    st.text(
        alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxy ĐÂÊÔƠƯ"
        "áàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
    )
)
def test_fold_is_idempotent_and_leaves_no_marks(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert all(unicodedata.category(ch) != "Mn" for ch in unicodedata.normalize("NFD", folded))
    assert "đ" not in folded and folded == folded.lower()
