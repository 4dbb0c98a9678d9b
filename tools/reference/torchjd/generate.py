"""Reference values for tfjs-jd, computed by TorchJD itself.

Runs TorchJD from its source tree (no installation, nothing downloaded): the aggregators and
weightings on a fixed set of matrices, the stateful methods over sequences of calls, and the
scalarizers (value and gradient). TorchJD's `quadprog`/`qpsolvers` dependency is replaced by the
exact stand-in in `stubs/` (BVLS + active-set polish + KKT check). NashMTL uses cvxpy + ECOS, CAGrad
cvxpy + Clarabel, FairGrad scipy, as in TorchJD.

Usage (see ../README.md):  python3 tools/reference/torchjd/generate.py [--torchjd PATH]
Writes spec/fixtures/torchjd/{aggregation,stateful,scalarization}.json.

Values that depend on torch's random stream (PCGrad and GradVac with more than 2 rows, GradDrop,
Random, the Random scalarizer) are not generated: tfjs-jd has its own seeded stream, so the specs
test properties of those instead.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
OUT = ROOT / "spec" / "fixtures" / "torchjd"

parser = argparse.ArgumentParser()
parser.add_argument("--torchjd", default=os.environ.get("TORCHJD_SRC", "/work/ref/torchjd"))
args = parser.parse_args()

sys.path.insert(0, str(HERE / "stubs"))
sys.path.insert(0, str(Path(args.torchjd) / "src"))
warnings.filterwarnings("ignore")

import torch  # noqa: E402

import torchjd  # noqa: E402
from torchjd import aggregation as A  # noqa: E402
from torchjd import scalarization as S  # noqa: E402

torch.set_default_dtype(torch.float64)
DTYPE = torch.float64


def f32(x: np.ndarray) -> np.ndarray:
    """Rounds to float32 and back: the fixture inputs are exactly what a float32 tfjs tensor holds,
    so the only differences left are tfjs's float32 arithmetic."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


rng = np.random.default_rng(20260601)


def normal(m: int, n: int) -> np.ndarray:
    return rng.standard_normal((m, n))


def low_rank(m: int, n: int, r: int) -> np.ndarray:
    return normal(m, r) @ normal(r, n)


def conflicting(m: int, n: int) -> np.ndarray:
    base = normal(m, n)
    base[1] = -1.3 * base[0] + 0.3 * base[1]  # rows 0 and 1 strongly conflict
    return base


MATRICES: dict[str, np.ndarray] = {
    "base": np.array([[-4.0, 1.0, 1.0], [6.0, 1.0, 1.0]]),  # TorchJD's test_values.py
    "normal3x5": normal(3, 5),
    "conflict4x6": conflicting(4, 6),
    "rank2_5x4": low_rank(5, 4, 2),
    "small6x8": normal(6, 8) * 1e-6,
    "large6x8": normal(6, 8) * 1e6,
    "rank3_8x10": low_rank(8, 10, 3),
    "normal16x20": normal(16, 20),
    "tall10x3": normal(10, 3),
    "conflict7x9": conflicting(7, 9),
    # Two rows: the only size where PCGrad's and GradVac's values do not depend on the random
    # order, so that they too are compared on at least 8 matrices.
    "pair_conflict2x5": conflicting(2, 5),
    "pair_aligned2x4": np.abs(normal(2, 4)),
    "pair_small2x3": conflicting(2, 3) * 1e-6,
    "pair_large2x6": conflicting(2, 6) * 1e6,
    "pair_parallel2x3": np.outer([1.0, 2.5], normal(1, 3)),
    "pair_opposite2x3": np.outer([1.0, -2.0], normal(1, 3)),
    "pair_column2x1": np.array([[3.0], [-1.5]]),
}
MATRICES = {k: f32(v) for k, v in MATRICES.items()}


def rows_json(a: np.ndarray) -> list:
    """9 significant digits: enough to give back the float32 value exactly (and float64 math on it
    moves by < 1e-9, far below every tolerance)."""
    return [[float(f"{v:.9g}") for v in row] for row in np.asarray(a)]


def t(x) -> torch.Tensor:
    return torch.tensor(np.asarray(x), dtype=DTYPE)


def set_dtype(dtype: torch.dtype) -> None:
    """Every tensor the cases build (inputs and options) takes this dtype."""
    global DTYPE
    DTYPE = dtype
    torch.set_default_dtype(dtype)


def out(x: torch.Tensor) -> list | None:
    """The values, or None when TorchJD's output is not finite (JSON has no NaN): the specs then
    check the documented tfjs-jd behaviour instead (e.g. ExcessMTL's overflow-free update)."""
    values = x.detach().cpu().to(torch.float64)
    if not torch.isfinite(values).all():
        return None
    digits = 10 if x.dtype == torch.float64 else 7  # below float32 rounding (6e-8) either way
    return [float(f"{v:.{digits}g}") for v in values.numpy().ravel()]


def pref(m: int) -> list[float]:
    return f32(np.arange(1, m + 1) / m).tolist()


class WellScaledNashMTL:
    """TorchJD's NashMTL procedure, step for step (state, stop criteria, update_weights_every,
    max_norm), with one change: each cvxpy sub-problem is posed in the variable b = √s·α, whose
    solution is O(1) whatever the scale s = ‖J Jᵀ‖_F, and its linear objective is normalized.
    The problem is the same; only the numbers handed to the solver change. ECOS's absolute
    tolerances make TorchJD's own solve inaccurate (J scaled by 1e6: α ~ 1e-6) or fail (J scaled
    by 1e-6: α ~ 1e6, it keeps α = 1); this gives the value TorchJD's procedure defines there.
    Used only where the specs document a disagreement with TorchJD's value."""

    def __init__(self, n_tasks: int, max_norm: float = 1.0, update_weights_every: int = 1,
                 optim_niter: int = 20) -> None:
        self.max_norm, self.every, self.niter = max_norm, update_weights_every, optim_niter
        self.step = 0
        self.prvs_alpha = np.ones(n_tasks)

    def _solve(self, gtg: np.ndarray, s: float, alpha_prev: np.ndarray) -> np.ndarray | None:
        import cvxpy as cp

        m = len(gtg)
        b = cp.Variable(m, nonneg=True)
        phi = 1 / alpha_prev + (1 / (gtg @ alpha_prev)) @ gtg
        c = gtg.sum(axis=0) / np.sqrt(s) + phi / s ** 1.5  # objective in b, up to a constant
        c = c / np.abs(c).max()
        gb = gtg @ b
        cons = [-cp.log(b[i]) - cp.log(gb[i]) <= 0 for i in range(m)]
        try:
            cp.Problem(cp.Minimize(c @ b), cons).solve(solver=cp.CLARABEL)
        except (cp.SolverError, ValueError):
            return None
        return None if b.value is None else b.value / np.sqrt(s)

    def __call__(self, J: np.ndarray) -> np.ndarray:
        if self.step % self.every == 0:
            G = J @ J.T
            s = float(np.linalg.norm(G))
            gtg = G / s
            alpha_t = self.prvs_alpha
            for _ in range(self.niter):
                new = self._solve(gtg, s, alpha_t)
                if new is None or np.linalg.norm(gtg @ alpha_t - 1 / (alpha_t + 1e-10)) < 1e-3:
                    break
                if np.linalg.norm(new - alpha_t) < 1e-6 * min(1.0, np.linalg.norm(alpha_t)):
                    break
                alpha_t = new
            self.prvs_alpha = alpha_t
        self.step += 1
        alpha = self.prvs_alpha
        if self.max_norm > 0:
            norm = np.linalg.norm(alpha @ J)
            if norm > self.max_norm:
                alpha = alpha / norm * self.max_norm
        return alpha @ J


def watch_nash(aggregator) -> list[bool]:
    """Records, per call of TorchJD's NashMTL, whether a sub-problem failed (cvxpy status not
    optimal: unbounded, infeasible, or an exception), i.e. whether TorchJD kept old weights."""
    import cvxpy as cp

    weighting = aggregator.weighting
    failures: list[bool] = []
    init = weighting._init_optim_problem
    solve_optimization = weighting._solve_optimization

    def init_and_wrap() -> None:
        init()
        solve = weighting.prob.solve

        def watched(*a, **k):
            try:
                result = solve(*a, **k)
            except (cp.SolverError, ValueError):
                failures[-1] = True
                raise
            if weighting.prob.status not in ("optimal", "optimal_inaccurate"):
                failures[-1] = True
            return result

        weighting.prob.solve = watched

    def solve_and_record(gtg):
        failures.append(False)
        return solve_optimization(gtg)

    weighting._init_optim_problem = init_and_wrap
    weighting._solve_optimization = solve_and_record
    return failures


def nash_options(options: dict) -> dict:
    return {"n_tasks": options["nTasks"], "max_norm": options.get("maxNorm", 1.0),
            "update_weights_every": options.get("updateWeightsEvery", 1)}


# (name, tfjs options, TorchJD factory, applies to matrix?) — options use tfjs-jd's camelCase names.
def aggregator_cases(m: int) -> list[tuple[str, dict, object]]:
    p = pref(m)
    cases = [
        ("UPGrad", {}, lambda: A.UPGrad()),
        ("UPGrad", {"prefVector": p}, lambda: A.UPGrad(pref_vector=t(p))),
        ("DualProj", {}, lambda: A.DualProj()),
        ("DualProj", {"prefVector": p}, lambda: A.DualProj(pref_vector=t(p))),
        ("MGDA", {}, lambda: A.MGDA()),
        ("MGDA", {"epsilon": 1e-6, "maxIters": 1000}, lambda: A.MGDA(epsilon=1e-6, max_iters=1000)),
        ("CAGrad", {"c": 0.5}, lambda: A.CAGrad(c=0.5)),
        ("CAGrad", {"c": 0}, lambda: A.CAGrad(c=0.0)),
        ("IMTLG", {}, lambda: A.IMTLG()),
        ("AlignedMTL", {}, lambda: A.AlignedMTL()),
        ("AlignedMTL", {"scaleMode": "median"}, lambda: A.AlignedMTL(scale_mode="median")),
        ("AlignedMTL", {"scaleMode": "rmse", "prefVector": p},
         lambda: A.AlignedMTL(pref_vector=t(p), scale_mode="rmse")),
        ("ConFIG", {}, lambda: A.ConFIG()),
        ("ConFIG", {"prefVector": p}, lambda: A.ConFIG(pref_vector=t(p))),
        ("Mean", {}, lambda: A.Mean()),
        ("Sum", {}, lambda: A.Sum()),
        ("Constant", {"weights": p}, lambda: A.Constant(t(p))),
        ("FairGrad", {"alpha": 1}, lambda: A.FairGrad(alpha=1.0)),
        ("FairGrad", {"alpha": 2}, lambda: A.FairGrad(alpha=2.0)),
        ("FairGrad", {"alpha": 0.5}, lambda: A.FairGrad(alpha=0.5)),
        # One call of a stateful method: its first output (the sequences are in stateful.json).
        ("NashMTL", {"nTasks": m}, lambda: A.NashMTL(n_tasks=m)),
        ("NashMTL", {"nTasks": m, "maxNorm": 0}, lambda: A.NashMTL(n_tasks=m, max_norm=0.0)),
        ("ExcessMTL", {}, lambda: A.ExcessMTL()),
    ]
    if m == 2:  # deterministic only with 2 rows (one possible order)
        cases += [("PCGrad", {}, lambda: A.PCGrad()), ("GradVac", {}, lambda: A.GradVac())]
    if m >= 3:
        cases.append(("TrimmedMean", {"trimNumber": 1}, lambda: A.TrimmedMean(trim_number=1)))
    if m >= 4:
        cases.append(("Krum", {"nByzantine": 1, "nSelected": 2},
                      lambda: A.Krum(n_byzantine=1, n_selected=2)))
    return cases


def weighting_cases(m: int) -> list[tuple[str, dict, object]]:
    """Weightings of the Gramian (TorchJD's `…Weighting` classes on G = J Jᵀ)."""
    p = pref(m)
    cases = [
        ("UPGradWeighting", {}, lambda: A.UPGradWeighting()),
        ("UPGradWeighting", {"prefVector": p}, lambda: A.UPGradWeighting(pref_vector=t(p))),
        ("DualProjWeighting", {}, lambda: A.DualProjWeighting()),
        ("MGDAWeighting", {}, lambda: A.MGDAWeighting()),
        ("CAGradWeighting", {"c": 0.5}, lambda: A.CAGradWeighting(c=0.5)),
        ("IMTLGWeighting", {}, lambda: A.IMTLGWeighting()),
        ("AlignedMTLWeighting", {}, lambda: A.AlignedMTLWeighting()),
        ("AlignedMTLWeighting", {"scaleMode": "median"},
         lambda: A.AlignedMTLWeighting(scale_mode="median")),
        ("AlignedMTLWeighting", {"scaleMode": "rmse"},
         lambda: A.AlignedMTLWeighting(scale_mode="rmse")),
        ("MeanWeighting", {}, lambda: A.MeanWeighting()),
        ("SumWeighting", {}, lambda: A.SumWeighting()),
        ("ConstantWeighting", {"weights": p}, lambda: A.ConstantWeighting(t(p))),
        ("FairGradWeighting", {"alpha": 1}, lambda: A.FairGradWeighting(alpha=1.0)),
        ("MoDoWeighting", {}, lambda: A.MoDoWeighting()),
        ("SDMGradWeighting", {}, lambda: A.SDMGradWeighting()),
        ("CRMOGMWeighting", {"weighting": "MGDAWeighting"},
         lambda: A.CRMOGMWeighting(A.MGDAWeighting())),
    ]
    if m == 2:
        cases += [("PCGradWeighting", {}, lambda: A.PCGradWeighting()),
                  ("GradVacWeighting", {}, lambda: A.GradVacWeighting())]
    if m >= 4:
        cases.append(("KrumWeighting", {"nByzantine": 1, "nSelected": 2},
                      lambda: A.KrumWeighting(n_byzantine=1, n_selected=2)))
    return cases


def gramian(name: str) -> torch.Tensor:
    """G = J Jᵀ computed in float64 (then cast), as tfjs-jd downloads it to float64."""
    J = torch.tensor(MATRICES[name], dtype=torch.float64)
    return (J @ J.T).to(DTYPE)


def generate_aggregation() -> dict:
    entries = []
    for name, J in MATRICES.items():
        m = J.shape[0]
        # Each value twice: TorchJD in float64 (the reference) and in float32 (what a TorchJD user
        # usually runs; it decides where float32 rounding makes a problem ill-posed, e.g. the
        # pseudo-inverse cut-off of ConFIG on a rank-deficient matrix).
        for kind, cases in [("aggregator", aggregator_cases), ("weighting", weighting_cases)]:
            for index, (method, options, _) in enumerate(cases(m)):
                results = {}
                for dtype, key in [(torch.float64, "output"), (torch.float32, "output32")]:
                    set_dtype(dtype)
                    method_object = cases(m)[index][2]()
                    if method == "NashMTL" and dtype == torch.float64:
                        failures = watch_nash(method_object)
                    x = t(J) if kind == "aggregator" else gramian(name)
                    results[key] = out(method_object(x))
                if method == "NashMTL":
                    results["solverFailed"] = failures[0]
                set_dtype(torch.float64)
                if method == "NashMTL":
                    replica = WellScaledNashMTL(**nash_options(options))
                    results["outputWellScaled"] = [float(f"{v:.10g}") for v in replica(J)]
                entries.append({"kind": kind, "method": method, "options": options,
                                "matrix": name, **results})
    return {"matrices": {k: rows_json(v) for k, v in MATRICES.items()}, "entries": entries}


def sequence(name: str, m: int, n: int, calls: int, scale: float = 1.0) -> list[str]:
    """`calls` matrices drifting from one another, as successive training steps give."""
    base = normal(m, n)
    names = []
    for k in range(calls):
        key = f"{name}_{k}"
        SEQ_MATRICES[key] = f32(scale * (base + 0.3 * normal(m, n)))
        names.append(key)
    return names


SEQ_MATRICES: dict[str, np.ndarray] = {}


def generate_stateful() -> dict:
    sequences = {
        "seq2": sequence("seq2", 2, 5, 10),
        "seq3": sequence("seq3", 3, 6, 10),
        "seq5": sequence("seq5", 5, 7, 10),
        "seq4large": sequence("seq4large", 4, 6, 8, 1e4),
    }
    # A conflicting sequence: the first two rows point away from each other at every call.
    conflict = []
    for k in range(10):
        key = f"seq3conflict_{k}"
        J = normal(3, 5)
        J[1] = -1.2 * J[0] + 0.3 * J[1]
        SEQ_MATRICES[key] = f32(J)
        conflict.append(key)
    sequences["seq3conflict"] = conflict

    def cases(m: int):
        p = pref(m)
        c = [
            ("NashMTL", "aggregator", {"nTasks": m}, lambda: A.NashMTL(n_tasks=m)),
            ("NashMTL", "aggregator", {"nTasks": m, "maxNorm": 0, "updateWeightsEvery": 2},
             lambda: A.NashMTL(n_tasks=m, max_norm=0.0, update_weights_every=2)),
            ("ExcessMTL", "aggregator", {}, lambda: A.ExcessMTL()),
            ("ExcessMTL", "aggregator", {"robustStepSize": 0.5, "nWarmupSteps": 3},
             lambda: A.ExcessMTL(robust_step_size=0.5, n_warmup_steps=3)),
            ("MoDoWeighting", "gramian", {}, lambda: A.MoDoWeighting()),
            ("MoDoWeighting", "gramian", {"gamma": 0.5, "rho": 0.05},
             lambda: A.MoDoWeighting(gamma=0.5, rho=0.05)),
            ("SDMGradWeighting", "gramian", {}, lambda: A.SDMGradWeighting()),
            ("SDMGradWeighting", "gramian", {"lr": 2, "momentum": 0.9, "nIter": 5, "lambda": 0.1,
                                             "prefVector": p},
             lambda: A.SDMGradWeighting(lr=2.0, momentum=0.9, n_iter=5, lambda_=0.1,
                                        pref_vector=t(p))),
            ("CRMOGMWeighting", "gramian", {"weighting": "MGDAWeighting"},
             lambda: A.CRMOGMWeighting(A.MGDAWeighting())),
            ("CRMOGMWeighting", "gramian", {"weighting": "UPGradWeighting", "alpha": 0.5},
             lambda: A.CRMOGMWeighting(A.UPGradWeighting(), alpha=0.5)),
            ("CRMOGMWeighting", "gramian",
             {"weighting": "IMTLGWeighting", "alpha": 0.8, "initialWeights": p},
             lambda: A.CRMOGMWeighting(A.IMTLGWeighting(), alpha=0.8, initial_weights=t(p))),
        ]
        if m == 2:
            c += [("GradVac", "aggregator", {}, lambda: A.GradVac()),
                  ("GradVac", "aggregator", {"beta": 0.1}, lambda: A.GradVac(beta=0.1)),
                  ("GradVacWeighting", "gramian", {"beta": 0.9},
                   lambda: A.GradVacWeighting(beta=0.9))]
        return c

    entries = []
    for seq_name, names in sequences.items():
        m = SEQ_MATRICES[names[0]].shape[0]
        for index, (method, kind, options, make) in enumerate(cases(m)):
            method_object = make()
            failures = watch_nash(method_object) if method == "NashMTL" else None
            outputs = []
            for key in names:
                J = t(SEQ_MATRICES[key])
                x = J if kind == "aggregator" else J @ J.T
                outputs.append(out(method_object(x)))
            # The same run in float32: how far float32 rounding alone moves the sequence.
            set_dtype(torch.float32)
            method_object = cases(m)[index][3]()
            outputs32 = []
            for key in names:
                J = t(SEQ_MATRICES[key])
                x = J if kind == "aggregator" else J @ J.T
                outputs32.append(out(method_object(x)))
            set_dtype(torch.float64)
            entry = {"kind": kind, "method": method, "options": options,
                     "sequence": seq_name, "outputs": outputs, "outputs32": outputs32}
            if method == "NashMTL":
                # A call that reuses the weights solves nothing: it never fails.
                every = options.get("updateWeightsEvery", 1)
                it = iter(failures)
                entry["solverFailed"] = [next(it) if k % every == 0 else False
                                         for k in range(len(names))]
                replica = WellScaledNashMTL(**nash_options(options))
                entry["outputsWellScaled"] = [
                    [float(f"{v:.10g}") for v in replica(SEQ_MATRICES[key])] for key in names
                ]
            entries.append(entry)
    return {"matrices": {k: rows_json(v) for k, v in SEQ_MATRICES.items()},
            "sequences": sequences, "entries": entries}


def value_and_grad(scalarizer, values: np.ndarray) -> tuple[float, list]:
    x = t(values).requires_grad_(True)
    y = scalarizer(x)
    (g,) = torch.autograd.grad(y, x)
    return float(y), out(g)


def generate_scalarization() -> dict:
    vec = f32(np.abs(rng.standard_normal(4)) + 0.1)
    mat = f32(np.abs(rng.standard_normal((2, 3))) + 0.1)
    big = f32(np.abs(rng.standard_normal(16)) * 1e3 + 1)
    tiny = f32(np.abs(rng.standard_normal(5)) * 1e-4 + 1e-6)
    inputs = {"vec4": vec, "mat2x3": mat, "big16": big, "tiny5": tiny}
    entries = []

    def w_for(x):
        return f32(np.linspace(0.5, 1.5, x.size).reshape(x.shape))

    def r_for(x):
        return f32(0.1 * np.asarray(x))

    for name, x in inputs.items():
        w, r = w_for(x), r_for(x)
        shape = list(x.shape)
        cases = [
            ("Mean", {}, lambda: S.Mean()),
            ("Sum", {}, lambda: S.Sum()),
            ("GeometricMean", {}, lambda: S.GeometricMean()),
            ("Constant", {"weights": w.tolist()}, lambda: S.Constant(t(w))),
            ("STCH", {"mu": 0.1}, lambda: S.STCH(mu=0.1)),
            ("STCH", {"mu": 1, "weights": w.tolist(), "reference": r.tolist()},
             lambda: S.STCH(mu=1.0, weights=t(w), reference=t(r))),
            ("STCH", {"mu": 1e-3, "weights": w.tolist()}, lambda: S.STCH(mu=1e-3, weights=t(w))),
            ("PBI", {"theta": 5, "weights": w.tolist()}, lambda: S.PBI(theta=5.0, weights=t(w))),
            ("PBI", {"theta": 0.5, "weights": w.tolist(), "reference": r.tolist()},
             lambda: S.PBI(theta=0.5, weights=t(w), reference=t(r))),
            ("COSMOS", {"lambda": 2, "weights": w.tolist()},
             lambda: S.COSMOS(lambda_=2.0, weights=t(w))),
            ("COSMOS", {"lambda": 0, "weights": w.tolist()},
             lambda: S.COSMOS(lambda_=0.0, weights=t(w))),
            ("UW", {"shape": shape}, lambda: S.UW(shape)),
            ("IMTLL", {"shape": shape}, lambda: S.IMTLL(shape)),
            ("FAMO", {"shape": shape}, lambda: S.FAMO(shape)),
            ("DWA", {}, lambda: S.DWA()),
        ]
        for method, options, make in cases:
            value, grad = value_and_grad(make(), x)
            entries.append({"kind": "scalarizer", "method": method, "options": options,
                            "values": x.tolist(), "output": value, "gradient": grad})

    # Stateful scalarizers over 8 calls.
    seq_rng = np.random.default_rng(7)
    losses = [f32(np.abs(seq_rng.standard_normal(3)) + 0.2) for _ in range(10)]
    after = [f32(x * (0.7 + 0.5 * seq_rng.random(3))) for x in losses]
    stateful = []
    for method, options, make in [
        ("FAMO", {"shape": 3}, lambda: S.FAMO(3)),
        ("FAMO", {"shape": 3, "lr": 0.1, "weightDecay": 0, "minLosses": [0.05, 0.0, 0.1]},
         lambda: S.FAMO(3, min_losses=t([0.05, 0.0, 0.1]), lr=0.1, weight_decay=0.0)),
    ]:
        s = make()
        steps = []
        for x, y in zip(losses, after):
            value, grad = value_and_grad(s, x)
            s.update(t(y))
            steps.append({"values": x.tolist(), "after": y.tolist(), "output": value,
                          "gradient": grad})
        stateful.append({"method": method, "options": options, "protocol": "famo",
                         "steps": steps})
    for options, make in [({}, lambda: S.DWA()), ({"temperature": 0.5}, lambda: S.DWA(0.5))]:
        s = make()
        steps = []
        for k, x in enumerate(losses):  # two batches per epoch; step() after each second batch
            value, grad = value_and_grad(s, x)
            steps.append({"values": x.tolist(), "output": value, "gradient": grad,
                          "stepAfter": k % 2 == 1})
            if k % 2 == 1:
                s.step()
        stateful.append({"method": "DWA", "options": options, "protocol": "dwa",
                         "steps": steps})
    for method, make in [("UW", lambda: S.UW(3)), ("IMTLL", lambda: S.IMTLL(3))]:
        # Trained by SGD(lr = 0.1) on their own output, as with the model's parameters.
        s = make()
        opt = torch.optim.SGD(s.parameters(), lr=0.1)
        steps = []
        for x in losses:
            value, grad = value_and_grad(s, x)
            opt.zero_grad()
            s(t(x)).backward()
            opt.step()
            steps.append({"values": x.tolist(), "output": value, "gradient": grad})
        stateful.append({"method": method, "options": {"shape": 3}, "protocol": "sgd0.1",
                         "steps": steps})
    return {"entries": entries, "stateful": stateful}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "-C", args.torchjd, "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    meta = {"torchjd_commit": commit, "torch": torch.__version__, "dtype": "float64",
            "generator": "tools/reference/torchjd/generate.py"}
    for name, make in [("aggregation", generate_aggregation), ("stateful", generate_stateful),
                       ("scalarization", generate_scalarization)]:
        data = {"meta": meta, **make()}
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(data, separators=(",", ":"), allow_nan=False) + "\n")
    # The repository's formatter (npm run lint checks every JSON file).
    subprocess.run(["npx", "prettier", "--write", str(OUT)], cwd=ROOT, check=True,
                   capture_output=True)
    for name in ["aggregation", "stateful", "scalarization"]:
        path = OUT / f"{name}.json"
        data = json.loads(path.read_text())
        n = len(data["entries"]) + len(data.get("stateful", []))
        print(f"{path.relative_to(ROOT)}: {n} entries, {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
