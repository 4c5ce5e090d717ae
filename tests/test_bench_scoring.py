"""The scoring benchmark runs end to end through the real Scorer on a real store and prints a
row per size (structure only: the figures are the benchmark's, not a test's)."""

from __future__ import annotations

from click.testing import CliRunner

from bench.drivers.scoring_speed import main, network_day


def test_a_network_day_has_the_size_asked_for_from_whole_baps() -> None:
    day = network_day(3000)
    assert sum(map(len, day.values())) == 3000
    assert len(set(day)) == len(day) >= 1


def test_the_benchmark_prints_one_row_per_size_and_the_load() -> None:
    result = CliRunner().invoke(main, ["--sizes", "1500,3000", "--rounds", "1"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()]
    assert [r[0] for r in rows if r and r[0].isdigit() and len(r) == 9] == ["1500", "3000"]
    assert "load average" in result.output


def test_per_bap_cuts_every_bap_to_the_same_size() -> None:
    day = network_day(3000, per_bap=400)
    assert sum(map(len, day.values())) == 3000
    assert max(map(len, day.values())) == 400
    result = CliRunner().invoke(main, ["--sizes", "1200", "--rounds", "1", "--per-bap", "400"])
    assert result.exit_code == 0, result.output
    (row,) = [
        r for r in map(str.split, result.output.splitlines()) if r[:1] == ["1200"] and len(r) == 9
    ]
    assert row[2] == "400"  # the largest BAP's events


def test_sizes_must_be_positive_integers() -> None:
    result = CliRunner().invoke(main, ["--sizes", "0,x"])
    assert result.exit_code != 0
    assert "sizes" in result.output
