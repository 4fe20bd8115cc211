"""Reference KAN layer in PyTorch (efficient-kan's formulation, written from its paper-level
description): B-spline bases by the Cox-de Boor recursion as tensor ops, the spline part as one
matmul over [batch, in*(G+k)] x [(G+k)*in, out], plus silu(x) @ base_weight. Times forward +
backward of [64, 64, 64] at batch 1024 (G = 5, k = 3) in float64 and float32, median of reps,
on one thread (as the TypeScript kernel runs), in process CPU time (robust to other load on a
shared machine; the TypeScript side measures the same way). Prints JSON. Run by scripts/bench-kan.ts when
/usr/bin/python3 has torch (Debian: apt-get install python3-torch)."""
import json
import sys
import time

import torch

DEFAULT_THREADS = torch.get_num_threads()
torch.set_num_threads(1)
CLOCK = time.process_time
G, K, BATCH, REPS = 5, 3, 1024, int(sys.argv[1]) if len(sys.argv) > 1 else 7


class Layer(torch.nn.Module):
    def __init__(self, n_in, n_out, dtype):
        super().__init__()
        h = 2.0 / G
        grid = torch.arange(-K, G + K + 1, dtype=dtype) * h - 1.0
        self.register_buffer("grid", grid.expand(n_in, -1).contiguous())
        self.base = torch.nn.Parameter(torch.randn(n_out, n_in, dtype=dtype) / n_in**0.5)
        self.coef = torch.nn.Parameter(torch.randn(n_out, n_in, G + K, dtype=dtype) * 0.1)
        self.scale = torch.nn.Parameter(torch.ones(n_out, n_in, dtype=dtype))

    def bases(self, x):
        g = self.grid
        x = x.unsqueeze(-1)
        b = ((x >= g[:, :-1]) & (x < g[:, 1:])).to(x.dtype)
        for k in range(1, K + 1):
            b = (x - g[:, : -(k + 1)]) / (g[:, k:-1] - g[:, : -(k + 1)]) * b[:, :, :-1] + (
                g[:, k + 1 :] - x
            ) / (g[:, k + 1 :] - g[:, 1:(-k)]) * b[:, :, 1:]
        return b

    def forward(self, x):
        base = torch.nn.functional.linear(torch.nn.functional.silu(x), self.base)
        w = (self.coef * self.scale.unsqueeze(-1)).view(self.coef.shape[0], -1)
        return base + torch.nn.functional.linear(self.bases(x).view(x.shape[0], -1), w)


def median_ms(fn):
    fn()
    fn()
    t = []
    for _ in range(REPS):
        t0 = CLOCK()
        fn()
        t.append((CLOCK() - t0) * 1000)
    return sorted(t)[len(t) // 2]


def bench(dtype):
    torch.manual_seed(1)
    net = torch.nn.Sequential(Layer(64, 64, dtype), Layer(64, 64, dtype))
    x = torch.rand(BATCH, 64, dtype=dtype) * 2 - 1
    y = torch.rand(BATCH, 64, dtype=dtype) * 2 - 1
    mlp_h = round((sum(p.numel() for p in net.parameters()) - 64) / 129)
    mlp = torch.nn.Sequential(
        torch.nn.Linear(64, mlp_h), torch.nn.Tanh(), torch.nn.Linear(mlp_h, 64)
    ).to(dtype)

    def step(model):
        def run():
            model.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()

        return run

    return median_ms(step(net)), median_ms(step(mlp))


kan64, mlp64 = bench(torch.float64)
kan32, mlp32 = bench(torch.float32)
# torch's default: one thread per core. CPU time sums over threads, so this one is wall time.
torch.set_num_threads(DEFAULT_THREADS)
CLOCK = time.perf_counter
kan64_mt, _ = bench(torch.float64)
print(
    json.dumps(
        {
            "torch": torch.__version__,
            "threads": 1,
            "kan_fwd_bwd_ms_float64": round(kan64, 2),
            "kan_fwd_bwd_ms_float32": round(kan32, 2),
            "mlp_fwd_bwd_ms_float64": round(mlp64, 2),
            "mlp_fwd_bwd_ms_float32": round(mlp32, 2),
            "default_threads": DEFAULT_THREADS,
            "kan_fwd_bwd_wall_ms_float64_default_threads": round(kan64_mt, 2),
        }
    )
)
