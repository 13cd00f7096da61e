"""d2l_utils.measured: a measured number is printed after "≈"; out of range, one plain sentence."""

import pytest

from d2l_utils.measured import measured


def test_in_range_prints_only_the_number(capsys):
    assert measured("test accuracy", 0.8123, 0.7, 0.86) == pytest.approx(0.8123)
    assert capsys.readouterr().out == "test accuracy ≈ 0.81\n"


def test_out_of_range_adds_one_sentence_with_the_range(capsys):
    measured("test accuracy", 0.42, 0.7, 0.86)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "test accuracy ≈ 0.42"
    assert len(out) == 2 and "between 0.70 and 0.86" in out[1] and "gave 0.42" in out[1]


def test_format_and_unit(capsys):
    measured("speed-up", 3.26, 2.0, 5.0, fmt=".1f", unit="×")
    assert capsys.readouterr().out == "speed-up ≈ 3.3×\n"

