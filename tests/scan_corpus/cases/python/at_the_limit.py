# case: expect: nothing. Timeouts of exactly the limit are not above it
import pytest
import subprocess


@pytest.mark.timeout(3600)
def hourly():
    subprocess.run(["make"], timeout=60 * 60, check=True)
