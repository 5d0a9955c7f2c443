"""``mbsim validate`` and ``mbsim protocols``: output and exit codes."""

import pytest

from mbsim.cli import main
from mbsim.errors import InputError
from mbsim.protocol import shipped_protocols


def test_validate_shipped_protocols_exit_0(capsys):
    """All shipped protocols validate: one OK line each, exit code 0."""
    paths = [str(path) for path in shipped_protocols()]
    assert main(["validate", *paths]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(paths) and all(line.startswith("OK ") for line in lines)


def test_validate_by_name(capsys):
    """A shipped protocol can be named without its path."""
    assert main(["validate", "aversive_spaced_10x"]) == 0
    assert "aversive_spaced_10x, 10 trial(s), training 162.5 min, 6 test(s)" in capsys.readouterr().out


def test_validate_bad_file_exit_2(tmp_path, capsys):
    """A bad file among good ones: its error on stderr, the good ones still OK, exit code 2."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(shipped_protocols()[0].read_text().replace("schema_version: 1", "schema_version: 1\n"
                                                              "colour: blue"))
    assert main(["validate", str(bad), "aversive_1x"]) == 2
    captured = capsys.readouterr()
    assert f"{bad}:2, field 'colour': found unknown key 'colour'" in captured.err
    assert captured.out.startswith("OK ") and "aversive_1x" in captured.out


def test_protocols_lists_every_shipped_protocol(capsys):
    """One line per shipped protocol: name then its one-line summary."""
    assert main(["protocols"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [path.stem for path in shipped_protocols()]
    spaced = next(line for line in lines if line.startswith("aversive_spaced_10x "))
    assert "15 min rest" in spaced


@pytest.mark.parametrize("argv", [["-q", "validate", "aversive_1x"], ["validate", "aversive_1x", "-q"],
                                  ["validate", "-v", "aversive_1x"]])
def test_global_flags_anywhere_on_the_line(argv, capsys):
    assert main(argv) == 0
    assert "OK" in capsys.readouterr().out


def test_debug_after_the_subcommand_shows_the_traceback():
    with pytest.raises(InputError):
        main(["run", "no_such_protocol", "--debug"])
    assert main(["run", "no_such_protocol"]) == 2


def test_every_subcommand_has_examples():
    from mbsim.cli import build_parser
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    missing = [name for name, sub in commands.items() if "examples:" not in sub.format_help()]
    assert not missing, missing
