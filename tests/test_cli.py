"""``python -m d2l_utils``: success and error paths, run as a learner would (a subprocess)."""

import json
import subprocess
import sys

import pytest
import torch

from d2l_utils import load_checkpoint
from d2l_utils.cli import main


def cli(*args):
    return subprocess.run([sys.executable, "-m", "d2l_utils", *args], capture_output=True, text=True,
                          timeout=120)


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
    net, payload = load_checkpoint(ckpt)
    assert payload["model"] == "lenet" and payload["meta"]["epochs"] == 2
    assert payload["history"]["test_acc"] == [r["test_acc"] for r in records]
    assert net(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_human_output(fake_dir, capsys):
    assert main(["train", "--epochs", "1", "--batch-size", "32", "--device", "cpu",
                 "--data-dir", str(fake_dir)]) == 0
    out = capsys.readouterr().out
    assert "training on cpu" in out and "epoch  1, loss" in out


@pytest.mark.parametrize("args, fragment", [
    (["--epochs", "-3"], "--epochs: must be at least 1"),
    (["--epochs", "ten"], "--epochs: expected a positive whole number"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--device", "cuda:7"], "cuda:7 is not available"),
    (["--model", "alexnet"], "invalid choice: 'alexnet'"),
    (["--lr", "-1"], "--lr: must be positive"),
])
def test_bad_arguments_exit_2_with_one_line(args, fragment, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", *args])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert out == "" and len(err.strip().splitlines()) == 1 and fragment in err


def test_errors_from_the_real_command_line(tmp_path):
    run = cli("train", "--epochs", "-1")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    expected = "python -m d2l_utils train: error: argument --epochs: must be at least 1, got -1"
    assert run.stderr.strip() == expected
    run = cli("train", "--data-dir", str(tmp_path))  # a folder without the data
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "lacks the Fashion-MNIST file(s)" in run.stderr


def test_data_command(fake_dir, capsys):
    assert main(["data", "--data-dir", str(fake_dir)]) == 0
    assert "96 train, 32 test" in capsys.readouterr().out
