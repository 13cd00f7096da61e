"""``python -m d2l_utils``: success and error paths, run as a learner would (a subprocess) where the
process boundary matters (exit status, stderr, time), in-process elsewhere."""

import json
import os
import subprocess
import sys
import time
import types

import pytest
import torch

from d2l_utils import load_ablation, load_checkpoint
from d2l_utils.cli import main


def cli(*args, cwd=None):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "d2l_utils", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


@pytest.mark.slow
def test_train_json_and_checkpoint(fake_dir, tmp_path):
    ckpt = tmp_path / "out" / "lenet.pt"
    run = cli("train", "--epochs", "2", "--batch-size", "16", "--device", "cpu", "--json",
              "--data-dir", str(fake_dir), "--save", str(ckpt))
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["epoch"] for r in records] == [1, 2]
    for r in records:
        assert set(r) == {"epoch", "loss", "train_acc", "test_acc", "sec"}
        assert 0 <= r["train_acc"] <= 1 and 0 <= r["test_acc"] <= 1 and r["loss"] > 0 and r["sec"] > 0
    assert run.stderr.strip().splitlines()[-1] == f"saved {ckpt}"
    net, payload = load_checkpoint(ckpt)
    assert payload["model"] == "lenet" and payload["meta"]["epochs"] == 2
    assert payload["history"]["test_acc"] == [r["test_acc"] for r in records]
    assert net(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_human_output(isolated, fake_dir, capsys):
    assert main(["train", "--epochs", "1", "--batch-size", "32", "--device", "cpu",
                 "--data-dir", str(fake_dir)]) == 0
    out = capsys.readouterr().out
    assert "training on cpu" in out and "epoch  1, loss" in out


def test_train_saves_in_process(isolated, fake_dir, tmp_path, capsys):
    ckpt = tmp_path / "m.pt"
    assert main(["train", "--model", "lenet-modern", "--epochs", "1", "--batch-size", "32",
                 "--device", "cpu", "--data-dir", str(fake_dir), "--save", str(ckpt), "--json"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["epoch"] for line in out.splitlines()] == [1]
    assert err.strip() == f"saved {ckpt}"
    assert load_checkpoint(ckpt, model="lenet-modern")[1]["meta"]["seed"] == 0


@pytest.mark.parametrize("args, fragment", [
    (["--epochs", "-3"], "--epochs: must be at least 1"),
    (["--epochs", "ten"], "--epochs: expected a positive whole number"),
    (["--batch-size", "0"], "--batch-size: must be at least 1"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--device", "cuda:7"], "cuda:7 is not available"),
    (["--model", "alexnet"], "invalid choice: 'alexnet'"),
    (["--lr", "-1"], "--lr: must be positive"),
    (["--lr", "fast"], "--lr: expected a number"),
    (["--save", "/proc/nope/x.pt"], "cannot save to /proc/nope/x.pt"),
])
def test_bad_arguments_exit_2_with_one_line(args, fragment, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", *args])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert out == "" and len(err.strip().splitlines()) == 1 and fragment in err


@pytest.mark.parametrize("args, fragment", [
    (["--seeds", "0", "0"], "--seeds: each seed once, got 0 0"),
    (["--seeds", "one"], "--seeds: invalid int value: 'one'"),
    (["--seeds"], "--seeds: expected at least one argument"),
    (["--epochs", "0"], "--epochs: must be at least 1"),
    (["--train-images", "-5"], "--train-images: must be at least 1"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--save", "/proc/nope/ablation.json"], "cannot save to /proc/nope/ablation.json"),
])
def test_bad_ablation_arguments_exit_2_with_one_line(args, fragment, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["ablation", *args])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert out == "" and len(err.strip().splitlines()) == 1 and fragment in err
    assert err.startswith("python -m d2l_utils ablation: error: ")


def test_ablation_saves_its_table_in_process(isolated, fake_dir, tmp_path, capsys):
    path = tmp_path / "ablation.json"
    assert main(["ablation", "--seeds", "0", "2", "--epochs", "1", "--batch-size", "32",
                 "--train-images", "64", "--device", "cpu", "--data-dir", str(fake_dir), "--save", str(path),
                 "--json"]) == 0
    out, err = capsys.readouterr()
    table = json.loads(out)  # one JSON object, nothing else, on stdout
    assert table == load_ablation(path) and table["seeds"] == [0, 2] and table["epochs"] == 1
    assert table["train_images"] == 64 and len(table["rows"]) == 6
    assert err.strip() == f"saved {path}"


def test_ablation_prints_its_table_with_the_spread(isolated, fake_dir, monkeypatch, capsys):
    import d2l_utils.cli as cli_module

    monkeypatch.setattr(cli_module, "train_ablation", lambda seeds, num_epochs, **kwargs: {
        "seeds": seeds, "epochs": num_epochs, "lr": {"SGD": 0.9, "AdamW": 0.01},
        "rows": [{"variant": "classic", "SGD": [0.1, 0.3, 0.2], "AdamW": [0.5, 0.7, 0.6]},
                 {"variant": "+ flips", "SGD": None, "AdamW": [0.8, 0.8, 0.9]}]})
    assert main(["ablation", "--data-dir", str(fake_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("  ")[0] == "variant" and "SGD, lr 0.9 median" in lines[0]
    assert lines[2].split() == ["classic", "≈", "0.20", "≈", "0.10–0.30", "≈", "0.60", "≈", "0.50–0.70"]
    assert lines[3].split() == ["+", "flips", "-", "-", "≈", "0.80", "≈", "0.80–0.90"]


def test_ablation_interrupted_saves_nothing(isolated, fake_dir, tmp_path, monkeypatch, capsys):
    import d2l_utils.cli as cli_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "train_ablation", interrupted)
    assert main(["ablation", "--save", str(tmp_path / "a.json")]) == 130
    assert capsys.readouterr().err.strip() == "Interrupted: the ablation did not finish; nothing was saved."
    assert not (tmp_path / "a.json").exists()


def test_missing_command_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2 and len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.mark.slow  # a subprocess (seconds to import torch); the in-process tests cover the message
def test_a_data_error_from_the_real_command_line(tmp_path):
    run = cli("train", "--data-dir", str(tmp_path))  # a folder without the data
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "lacks the Fashion-MNIST file(s)" in run.stderr


@pytest.fixture(scope="module")
def torch_import_seconds():
    """How long this machine takes to start Python and import torch, which the CLI cannot avoid."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True, timeout=120)
    return time.perf_counter() - start


@pytest.mark.parametrize("command", ["train", "ablation"])
@pytest.mark.parametrize("where", ["/proc/nope/x.pt", "existing folder"])
def test_an_unwritable_save_path_fails_at_once(tmp_path, where, command, torch_import_seconds):
    """Refused before the data is looked at: the data folder named here does not even exist, and a
    late check would have failed on it (exit 1) instead of on the save path (exit 2).

    Under 5 seconds on a machine that imports torch in about 2 (a 2-core laptop or CI runner); where
    other work slows the import down, the limit grows with it (twice the import time)."""
    save = where if where.startswith("/") else str(tmp_path)
    start = time.perf_counter()
    run = cli(command, "--epochs", "1", "--data-dir", str(tmp_path / "no-data"), "--save", save)
    seconds = time.perf_counter() - start
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr and run.stdout == ""
    assert lines[0].startswith(f"python -m d2l_utils {command}: error: argument --save: cannot save to "
                               + save)
    assert ("it is a folder" if save == str(tmp_path) else "No such file or directory") in lines[0]
    limit = max(5.0, 2 * torch_import_seconds)
    assert seconds < limit, f"took {seconds:.1f} s (importing torch alone: {torch_import_seconds:.1f} s)"
    assert not (tmp_path / "no-data").exists() and not (tmp_path / "lenet.pt").exists()


def test_data_command(isolated, fake_dir, capsys):
    assert main(["data", "--data-dir", str(fake_dir)]) == 0
    assert capsys.readouterr().out.strip() == f"Fashion-MNIST OK in {fake_dir} (96 train, 32 test images)"


def test_data_no_download_on_an_empty_folder(isolated, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["data", "--no-download", "--data-dir", str(empty)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: The folder ") and len(err.strip().splitlines()) == 1
    assert str(empty) in err and "lacks the Fashion-MNIST file(s)" in err


def test_data_no_download_where_there_is_no_data(isolated, monkeypatch, capsys):
    def no_download(*args, **kwargs):
        pytest.fail("--no-download tried to download")

    module = types.ModuleType("torchvision")
    module.datasets = types.SimpleNamespace(FashionMNIST=no_download)
    monkeypatch.setitem(sys.modules, "torchvision", module)
    assert main(["data", "--no-download"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "Fashion-MNIST was not found on this machine" in err and "make data" in err


def test_data_reports_a_corrupt_file(isolated, fake_dir, capsys):
    (fake_dir / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    assert main(["data", "--data-dir", str(fake_dir)]) == 1
    err = capsys.readouterr().err
    assert "t10k-labels-idx1-ubyte.gz" in err and "truncated or corrupted" in err
