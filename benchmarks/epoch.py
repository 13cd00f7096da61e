"""Where the time of one epoch goes: the classic LeNet recipe, one step of speed-up at a time.

Each row adds one change to the row above (notebook 08 teaches each of them):

1. textbook: torchvision's FashionMNIST + ToTensor (one PIL image at a time), a DataLoader with 4
   worker processes, NCHW batches, plain layers, evaluation through a DataLoader of batch 256;
2. in memory: the whole set as tensors (d2l_utils.TensorBatches), ``train_ch5(fast=False)``;
3. channels-last: the same with batches and weights in channels-last memory;
4. fused step: plus each Sigmoid -> AvgPool2d(2) as one autograd step, i.e. ``train_ch5(fast=True)``,
   what ``python -m d2l_utils train`` runs;
5. torch.compile: row 4's network compiled; its first epoch (compilation included) and its second
   (steady state) are reported separately.

Every row uses the same model, initialisation and hyper-parameters (SGD at the classic recipe's
learning rate, batch 256); an epoch is one pass over the 60,000 training images plus the test
accuracy. Each epoch runs in a fresh Python process, as in a learner's new kernel. Each clock starts
once the data set is opened and PyTorch's one-off lazy imports are done. Rows alternate their order
between repeats, so that a noisy machine hurts all alike; medians and their ratios to the textbook
row are printed, then the peak memory (RSS) of a 2-epoch CLI run.

    python benchmarks/epoch.py [--repeats 3] [--skip-compile] [--skip-memory]
"""

import argparse
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch
import torchvision
from torch import nn
from torch.utils.data import DataLoader

import d2l_utils
import d2l_utils.training

STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

LR = d2l_utils.RECIPES["lenet"].lr  # the classic recipe's learning rate, from the recipe table


def textbook_dataset_root() -> Path:
    """torchvision wants uncompressed files in ROOT/FashionMNIST/raw: copy ours there once."""
    root = Path(tempfile.mkdtemp(prefix="fmnist-textbook-"))
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    source = d2l_utils.find_data_dir()
    for stem in STEMS:
        path = source / stem if (source / stem).is_file() else source / f"{stem}.gz"
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f, open(raw / stem, "wb") as out:
            shutil.copyfileobj(f, out)
    return root


def textbook_epoch(root: Path) -> list[float]:
    """The source tutorial's way, written out: per-image decoding, worker processes, NCHW."""
    warnings.filterwarnings("ignore", message="This DataLoader will create")  # 4 workers, 2 cores: as taught
    to_tensor = torchvision.transforms.ToTensor()
    train = torchvision.datasets.FashionMNIST(root, train=True, transform=to_tensor)
    test = torchvision.datasets.FashionMNIST(root, train=False, transform=to_tensor)
    train_iter = DataLoader(train, batch_size=256, shuffle=True, num_workers=4)
    test_iter = DataLoader(test, batch_size=256, shuffle=False, num_workers=4)
    start = time.perf_counter()
    net = d2l_utils.lenet()
    net.apply(d2l_utils.init_weights)
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    loss = nn.CrossEntropyLoss()
    net.train()
    loss_sum, train_correct = 0.0, 0
    for X, y in train_iter:
        y_hat = net(X)
        batch_loss = loss(y_hat, y)
        optimizer.zero_grad()
        batch_loss.backward()
        optimizer.step()
        loss_sum += batch_loss.item()  # the tutorial's per-batch bookkeeping
        train_correct += (y_hat.argmax(dim=1) == y).sum().item()
    net.eval()
    correct = 0
    with torch.no_grad():
        for X, y in test_iter:
            correct += (net(X).argmax(dim=1) == y).sum().item()
    seconds = time.perf_counter() - start
    assert 0 <= correct <= len(test) and 0 <= train_correct <= len(train) and loss_sum > 0
    return [seconds]


def d2l_utils_epochs(fast: bool, fused: bool = True, compiled: bool = False, epochs: int = 1) -> list[float]:
    """Seconds per epoch through train_ch5; ``fused=False`` keeps channels-last but not the fused step."""
    train_iter, test_iter = d2l_utils.load_data_fashion_mnist(256)
    if not fused:  # row 3 only: channels-last without the fused step
        d2l_utils.training.fused_forward = lambda net: net
    start = time.perf_counter()
    net = d2l_utils.lenet()
    if compiled:
        net.apply(d2l_utils.init_weights)
        net = torch.compile(net)
    history = d2l_utils.train_ch5(net, train_iter, test_iter, epochs, LR, "cpu", fast=fast,
                                  init=not compiled, verbose=False)
    history.sec[0] += (time.perf_counter() - start) - sum(history.sec)  # model building counts too
    return history.sec


ROWS = {
    "textbook": lambda root: textbook_epoch(root),
    "in memory": lambda root: d2l_utils_epochs(fast=False),
    "channels-last": lambda root: d2l_utils_epochs(fast=True, fused=False),
    "fused step (d2l_utils)": lambda root: d2l_utils_epochs(fast=True),
    "torch.compile": lambda root: d2l_utils_epochs(fast=True, compiled=True, epochs=2),
}


_RSS_PROBE = """import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"""


def peak_rss_of_cli(epochs: int = 2) -> float:
    """Peak resident memory (GB) of `python -m d2l_utils train --epochs 2`, measured by a probe
    process whose only child is that run (this process's children include the timed epochs)."""
    cli = [sys.executable, "-m", "d2l_utils", "train", "--epochs", str(epochs), "--json", "--device", "cpu"]
    out = subprocess.run([sys.executable, "-c", _RSS_PROBE, *cli], check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    return int(out.split()[-1]) / 1024**2  # kB on Linux


def warm_up_lazy_imports():
    """PyTorch imports torch._dynamo (and sympy) when the first optimizer is created: about 1.5 s,
    once per process. Every child pays it here, before its clock starts."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def epochs_in_new_process(row: str, root: Path) -> list[float]:
    out = subprocess.run([sys.executable, __file__, "--one", row, "--root", str(root)],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.splitlines()[-1])["sec"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-compile", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--one", choices=ROWS, help=argparse.SUPPRESS)  # the child's job
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        warm_up_lazy_imports()
        torch.manual_seed(0)
        print(json.dumps({"sec": ROWS[args.one](args.root)}))
        return
    rows = [r for r in ROWS if not (args.skip_compile and r == "torch.compile")]
    root = textbook_dataset_root()
    times = {r: [] for r in rows}
    try:
        for i in range(args.repeats):
            for row in (rows if i % 2 == 0 else rows[::-1]):  # a b c, c b a, a b c, ...
                times[row].append(epochs_in_new_process(row, root))
            print(f"repeat {i + 1}: " + ", ".join(f"{r} {' + '.join(f'{s:.1f}' for s in t[-1])} s"
                                                  for r, t in times.items()), flush=True)
    finally:
        shutil.rmtree(root)
    table = [(r, statistics.median(t[-1] for t in times[r]), [t[-1] for t in times[r]]) for r in rows]
    base = table[0][1]
    print(f"\n| one epoch of the classic recipe ({torch.get_num_threads()} threads) | median s | "
          "vs textbook | runs (s) |")
    print("|---|---|---|---|")
    for name, med, runs in table:
        label = f"{name} (steady state)" if name == "torch.compile" else name
        print(f"| {label} | {med:.1f} | {base / med:.1f}x | {', '.join(f'{v:.1f}' for v in runs)} |")
    if "torch.compile" in times:
        first = statistics.median(t[0] for t in times["torch.compile"])
        print(f"| torch.compile, first epoch (compilation included) | {first:.1f} | {base / first:.1f}x | "
              f"{', '.join(f'{t[0]:.1f}' for t in times['torch.compile'])} |")
    fused = dict((n, m) for n, m, _ in table)["fused step (d2l_utils)"]
    print(f"\nd2l_utils (python -m d2l_utils train) is {base / fused:.1f}x faster than the textbook pipeline")
    if not args.skip_memory:
        print(f"peak RSS of a 2-epoch CLI run: {peak_rss_of_cli():.2f} GB")


if __name__ == "__main__":
    main()
