"""The `kycuong` console command, run as a user would: migrate, seed the demo, verify, tamper, verify."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def kycuong(*args: str, env: dict) -> subprocess.CompletedProcess:
    executable = Path(sys.executable).with_name("kycuong")
    return subprocess.run([str(executable), *args], env=env, capture_output=True, text=True, timeout=900)


def test_seed_verify_and_detect_tampering_from_the_command_line(tmp_path):
    database = tmp_path / "cli.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "KYCUONG_VAR_DIR": str(tmp_path)}
    assert kycuong("migrate", "--no-input", "-v", "0", env=env).returncode == 0
    seeded = kycuong("seed-demo", env=env)
    assert seeded.returncode == 0, seeded.stderr
    assert "Demo data loaded" in seeded.stdout
    again = kycuong("seed-demo", env=env)
    assert "already present" in again.stdout

    intact = kycuong("audit-verify", env=env)
    assert intact.returncode == 0 and "intact" in intact.stdout

    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE core_auditrecord SET after = '{}' WHERE id = 1234")
    broken = kycuong("audit-verify", env=env)
    assert broken.returncode == 1
    assert "record 1234" in broken.stderr
