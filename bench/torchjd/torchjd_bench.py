"""
The TorchJD side of `npm run bench -- --torchjd`: the same models and steps as tfjs-jd's bench
(bench/mlp.ts, bench/autojac.ts, bench/autogram.ts, bench/aggregation.ts), run with TorchJD on
PyTorch (2 threads, CPU), timed the same way (median wall time after a warm-up).

It serves figures on request so that bench/torchjd.ts can alternate the two libraries: each line
read on stdin is a JSON request `{"group": ..., "warmup": w, "iters": n}`; each answer is one JSON
line `{"group": ..., "times": {name: median ms}}`. The first line written is `{"ready": ...}` with
the versions, or `{"error": ...}` when torch or TorchJD cannot be imported.

TorchJD is imported from the environment if installed, else from `$TORCHJD_SRC` (its `src`
folder). Its `quadprog`/`qpsolvers` dependencies are replaced by the exact stand-ins in
`stand_ins/` (see `stand_ins/qpsolvers/__init__.py`).
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "stand_ins"))


def say(payload):
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


try:
    import torch
    from torch import nn

    try:
        import torchjd  # noqa: F401
    except ImportError:
        source = os.environ.get("TORCHJD_SRC")
        if source is None:
            raise
        sys.path.insert(0, source)
        import torchjd  # noqa: F401
    from torchjd.aggregation import UPGrad, UPGradWeighting
    from torchjd.autogram import Engine
    from torchjd.autojac import jac_to_grad, mtl_backward
except Exception as error:  # noqa: BLE001 - any import failure means: skip, with the reason
    say({"error": f"{type(error).__name__}: {error}"})
    sys.exit(1)

# PyTorch on 2 threads, as the figures the issue compares; TORCH_THREADS overrides (on a loaded
# machine OpenMP's spinning threads can make 2 threads many times slower than 1).
torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
torch.manual_seed(0)


def median_times(steps, warmup, iters):
    """Interleaved, as bench/common.ts's timeInterleaved: a, b, a, b, … then each one's median."""
    for _ in range(warmup):
        for step in steps.values():
            step()
    times = {name: [] for name in steps}
    for _ in range(iters):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: sorted(t)[len(t) // 2] for name, t in times.items()}


def multi_head_mlp(m, batch=64):
    """bench/mlp.ts: trunk 784→256→256 (ReLU), m 10-way heads, softmax cross-entropy, SGD."""
    trunk = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU())
    heads = nn.ModuleList(nn.Linear(256, 10) for _ in range(m))
    x = torch.rand(batch, 784)
    labels = [torch.randint(0, 10, (batch,)) for _ in range(m)]
    params = [*trunk.parameters(), *heads.parameters()]
    optimizer = torch.optim.SGD(params, lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def losses():
        features = trunk(x)
        return features, [loss_fn(head(features), y) for head, y in zip(heads, labels)]

    def plain():
        _, task_losses = losses()
        sum(task_losses).backward()
        optimizer.step()
        optimizer.zero_grad()

    aggregator = UPGrad()

    def jacobian_descent():
        features, task_losses = losses()
        mtl_backward(task_losses, features=features)
        jac_to_grad(trunk.parameters(), aggregator)
        optimizer.step()
        optimizer.zero_grad()

    return {"plain": plain, "jacobianDescent": jacobian_descent}


def iwrm(batch):
    """bench/autogram.ts: MLP 784→256→256→10, per-instance cross-entropy, autogram + UPGrad."""
    def mlp():
        torch.manual_seed(batch)
        return nn.Sequential(
            nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
        )

    # Two copies of the model: the Engine hooks its modules, and a plain forward and backward
    # through hooked modules between two compute_gramian calls breaks the engine's bookkeeping.
    model, hooked = mlp(), mlp()
    x = torch.rand(batch, 784)
    y = torch.randint(0, 10, (batch,))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    hooked_optimizer = torch.optim.SGD(hooked.parameters(), lr=1e-3)
    per_instance = nn.CrossEntropyLoss(reduction="none")
    engine = Engine(hooked, batch_dim=0)
    weighting = UPGradWeighting()

    def plain():
        per_instance(model(x), y).mean().backward()
        optimizer.step()
        optimizer.zero_grad()

    def step():
        losses = per_instance(hooked(x), y)
        gramian = engine.compute_gramian(losses)
        losses.backward(weighting(gramian))
        hooked_optimizer.step()
        hooked_optimizer.zero_grad()

    return {"plain": plain, "iwrm": step}


def weighting_on(m):
    """bench/aggregation.ts: UPGradWeighting on the Gramian of a random m × 1000 matrix."""
    matrix = torch.randn(m, 1000)
    gramian = matrix @ matrix.T
    weighting = UPGradWeighting()
    return {"upgradWeighting": lambda: weighting(gramian)}


def build(group):
    kind, size = group.split(":")
    size = int(size)
    if kind == "mtl":
        return multi_head_mlp(size)
    if kind == "iwrm":
        return iwrm(size)
    if kind == "weighting":
        return weighting_on(size)
    raise ValueError(f"unknown group {group}")


say(
    {
        "ready": True,
        "torch": torch.__version__,
        "torchjd": getattr(torchjd, "__version__", "source"),
        "threads": torch.get_num_threads(),
    }
)
built = {}
for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    group = request["group"]
    try:
        steps = built.setdefault(group, build(group))
        times = median_times(steps, request.get("warmup", 2), request.get("iters", 10))
        say({"group": group, "times": times})
    except Exception as error:  # noqa: BLE001 - reported to the caller, which prints it
        say({"group": group, "error": f"{type(error).__name__}: {error}"})
