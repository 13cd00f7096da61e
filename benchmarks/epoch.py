"""One epoch of classic LeNet training: the textbook pipeline against d2l_utils, timed in one run.

(a) textbook: torchvision's FashionMNIST + ToTensor (one PIL image at a time), DataLoader with
    4 worker processes, an NCHW model, evaluation through a DataLoader of batch 256.
(b) d2l_utils: the whole set in memory as tensors, channels-last, each sigmoid and the pooling
    after it as one step, freed buffers kept for reuse, big evaluation batches (d2l_utils/fast.py).

Both use the same model, initialisation and hyper-parameters (SGD, lr 0.9, batch 256); an
epoch is one pass over the 60,000 training images plus the test accuracy. Each epoch runs in a
fresh Python process, as in a learner's new kernel, so neither pipeline inherits the other's
state. Each clock starts once the data set is opened and PyTorch's one-off lazy imports are
done, and covers building the model and optimiser, the epoch and the test accuracy. Runs
alternate (a b, b a, a b, ...) so that a noisy machine hurts both alike; medians and their ratio
are printed. Then the peak memory (RSS) of a 2-epoch CLI run.

    python benchmarks/epoch.py [--repeats 5] [--skip-memory]
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
from d2l_utils.data import SPLITS, _file_in, find_data_dir


def textbook_dataset_root() -> Path:
    """torchvision wants uncompressed files in ROOT/FashionMNIST/raw: copy ours there once."""
    root = Path(tempfile.mkdtemp(prefix="fmnist-textbook-"))
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    source = find_data_dir()
    for stem in (s for pair in SPLITS.values() for s in pair):
        path = _file_in(source, stem)
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f, open(raw / stem, "wb") as out:
            shutil.copyfileobj(f, out)
    return root


def textbook_epoch(root: Path) -> float:
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
    optimizer = torch.optim.SGD(net.parameters(), lr=0.9)
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
    return seconds


def d2l_utils_epoch() -> float:
    train_iter, test_iter = d2l_utils.load_data_fashion_mnist(256)
    start = time.perf_counter()
    d2l_utils.train_ch5(d2l_utils.lenet(), train_iter, test_iter, nn.CrossEntropyLoss(), 1, 256,
                        "cpu", lr=0.9, progress=False, verbose=False)
    return time.perf_counter() - start


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
    once per process. Both children pay it here, before their clocks start."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


PIPELINES = {"textbook": textbook_epoch, "d2l_utils": lambda root: d2l_utils_epoch()}


def epoch_in_new_process(pipeline: str, root: Path) -> float:
    out = subprocess.run([sys.executable, __file__, "--one-epoch", pipeline, "--root", str(root)],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.splitlines()[-1])["sec"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--one-epoch", choices=PIPELINES, help=argparse.SUPPRESS)  # the child's job
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_epoch:
        warm_up_lazy_imports()
        torch.manual_seed(0)
        print(json.dumps({"sec": PIPELINES[args.one_epoch](args.root)}))
        return
    root = textbook_dataset_root()
    times = {"textbook": [], "d2l_utils": []}
    try:
        for i in range(args.repeats):
            order = list(times) if i % 2 == 0 else list(times)[::-1]  # a b, b a, a b, ...
            for name in order:
                times[name].append(epoch_in_new_process(name, root))
            print(f"repeat {i + 1}: textbook {times['textbook'][-1]:.1f} s, "
                  f"d2l_utils {times['d2l_utils'][-1]:.1f} s", flush=True)
    finally:
        shutil.rmtree(root)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\n| pipeline (one epoch, {torch.get_num_threads()} threads) | median s | runs |")
    print("|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {med[name]:.1f} | {', '.join(f'{v:.1f}' for v in values)} |")
    print(f"\nd2l_utils is {med['textbook'] / med['d2l_utils']:.1f}x faster than the textbook pipeline")
    if not args.skip_memory:
        print(f"peak RSS of a 2-epoch CLI run: {peak_rss_of_cli():.2f} GB")


if __name__ == "__main__":
    main()
