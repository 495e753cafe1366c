import pytest

from buko.entrypoints.cli import main


@pytest.mark.parametrize(
    "argv, message",
    [
        (["write", "A book about tea", "--formats", "pdf,rtf"], "unknown format 'rtf'"),
        (["write", "A book about tea", "--chapters", "0"], "must be from 1 to 60, not 0"),
        (["write", "A book about tea", "--lang", "fr"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_serving_several_workers_needs_redis(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("BUKO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert main(["serve", "--workers", "2"]) == 2
    assert "needs REDIS_URL" in capsys.readouterr().err


def test_serve_refuses_a_port_out_of_range(capsys):
    with pytest.raises(SystemExit) as refused:
        main(["serve", "--port", "70000"])
    assert refused.value.code == 2
    assert "port number" in capsys.readouterr().err


def test_a_worker_needs_redis(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("BUKO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert main(["worker", "--queue", "book_generation_normal"]) == 3
    assert "set REDIS_URL" in capsys.readouterr().err


def test_bad_configuration_is_reported(capsys, monkeypatch):
    monkeypatch.setenv("DB_POOL_SIZE", "lots")
    assert main(["books"]) == 2
    assert "bad configuration" in capsys.readouterr().err


def test_a_refused_brief_is_a_clear_error(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("BUKO_DATA_DIR", str(tmp_path))
    assert main(["write", "tiny", "--out", str(tmp_path / "out")]) == 2
    assert "idea must be at least 10 characters" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "buko.db").exists()


def test_an_unreadable_style_sample_is_a_clear_error(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("BUKO_DATA_DIR", str(tmp_path))
    assert main(["write", "A field guide to city birds", "--style-sample", str(tmp_path / "missing.txt"),
                 "--out", str(tmp_path / "out")]) == 2
    assert "cannot read the style sample" in capsys.readouterr().err


def test_a_too_long_style_sample_is_refused(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("BUKO_DATA_DIR", str(tmp_path))
    sample = tmp_path / "sample.txt"
    sample.write_text("word " * 2000)
    assert main(["write", "A field guide to city birds", "--style-sample", str(sample),
                 "--out", str(tmp_path / "out")]) == 2
    assert "--style-sample must be at most 8000 characters" in capsys.readouterr().err
