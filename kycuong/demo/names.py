"""Vietnamese personal names for demo staff, with family names weighted roughly as in the population."""

import random

FAMILY_NAMES = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Vũ", 4),
    ("Đỗ", 3),
    ("Bùi", 3),
    ("Đặng", 2),
    ("Ngô", 2),
    ("Dương", 2),
    ("Đào", 1),
    ("Đinh", 1),
    ("Phan", 1),
    ("Trịnh", 1),
    ("Lương", 1),
    ("Tạ", 1),
    ("Cao", 1),
    ("Mai", 1),
    ("Lý", 1),
    ("Hà", 1),
    ("Kiều", 1),
    ("Chu", 1),
    ("Khuất", 1),
]
MIDDLE_MALE = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Xuân", "Thanh", "Trọng", "Mạnh", "Tiến", "Ngọc"]
MIDDLE_FEMALE = ["Thị", "Thu", "Thanh", "Ngọc", "Hồng", "Thùy", "Minh", "Phương", "Kim", "Bích", "Diệu"]
GIVEN_MALE = [
    "Hùng",
    "Dũng",
    "Hải",
    "Tuấn",
    "Nam",
    "Long",
    "Sơn",
    "Thắng",
    "Cường",
    "Quân",
    "Hiếu",
    "Trung",
    "Đức",
    "Bình",
    "Khánh",
    "Hoàng",
    "Tùng",
    "Phong",
    "Việt",
    "Thành",
    "Anh",
    "Huy",
    "Kiên",
    "Lâm",
    "Toàn",
    "Hưng",
    "Quyết",
    "Tài",
    "Thịnh",
    "Vinh",
]
GIVEN_FEMALE = [
    "Lan",
    "Hương",
    "Hoa",
    "Mai",
    "Linh",
    "Ngọc",
    "Hà",
    "Thảo",
    "Trang",
    "Huyền",
    "Nga",
    "Yến",
    "Phương",
    "Thủy",
    "Hằng",
    "Dung",
    "Loan",
    "Vân",
    "Oanh",
    "Hạnh",
    "Giang",
    "Nhung",
    "Thu",
    "Anh",
    "Liên",
    "Quỳnh",
]


class NameMaker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self._families = [name for name, _ in FAMILY_NAMES]
        self._weights = [weight for _, weight in FAMILY_NAMES]

    def person(self) -> tuple[str, str]:
        """(full name, gender)"""
        gender = "male" if self.rng.random() < 0.55 else "female"
        family = self.rng.choices(self._families, self._weights)[0]
        if gender == "male":
            middle, given = self.rng.choice(MIDDLE_MALE), self.rng.choice(GIVEN_MALE)
        else:
            middle, given = self.rng.choice(MIDDLE_FEMALE), self.rng.choice(GIVEN_FEMALE)
        return f"{family} {middle} {given}", gender
