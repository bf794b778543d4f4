#!/usr/bin/env python3
"""PyTorch side of `unirl bench`: the reference transformer of bench/reference-model.ts, the same
model written in PyTorch, initialised from the same safetensors checkpoint and trained on the same
batch with the same Adam, so the first losses must agree and the step times compare like for like.

Run by the benchmark as a child process speaking JSON lines:
    python3 bench/torch_reference.py WEIGHTS.safetensors BATCH.safetensors --threads 1
  -> {"ready": true, "torch": "1.13.1", "threads": 1, "params": N}
  <- steps N          (train N steps)
  -> {"ms": [...], "losses": [...]}
  <- quit
"""
import argparse
import json
import math
import os
import struct
import sys
import time


def read_safetensors(path, torch):
    """The tensors and metadata of a safetensors file (no extra package needed)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for safetensors")
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    base = 8 + n
    dtypes = {"F32": torch.float32, "I32": torch.int32}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = bytearray(data[base + begin : base + end])
        shape = entry["shape"]
        if len(raw) == 0:
            tensors[name] = torch.zeros(shape, dtype=dtypes[entry["dtype"]])
        else:
            tensors[name] = torch.frombuffer(raw, dtype=dtypes[entry["dtype"]]).reshape(shape).clone()
    return tensors, header.get("__metadata__", {})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("weights")
    parser.add_argument("batch")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    weights, meta = read_safetensors(args.weights, torch)
    config = json.loads(meta["config"])
    train = json.loads(meta["train"])
    batch, _ = read_safetensors(args.batch, torch)
    inputs = batch["inputs"].long()
    targets = batch["targets"].long()

    params = {name: t.clone().requires_grad_(True) for name, t in weights.items()}
    dim, heads, layers, vocab = config["dim"], config["heads"], config["layers"], config["vocab"]
    head_dim = dim // heads
    scale = 1.0 / math.sqrt(head_dim)
    n_batch, seq = inputs.shape
    causal = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)

    def linear(x, w, b):
        # Weights are [in, out] as in the TensorFlow.js model; F.linear fuses the bias (addmm).
        return F.linear(x, w.t(), b)

    def loss_fn():
        p = params
        x = p["tok.embed"][inputs] + p["pos.embed"][:seq]
        for i in range(layers):
            b = f"blocks.{i}"
            h = F.layer_norm(x, (dim,), p[f"{b}.ln1.gamma"], p[f"{b}.ln1.beta"], 1e-5)

            def split(t):
                return t.view(n_batch, seq, heads, head_dim).transpose(1, 2)

            q = split(linear(h, p[f"{b}.attn.wq"], p[f"{b}.attn.bq"]))
            k = split(linear(h, p[f"{b}.attn.wk"], p[f"{b}.attn.bk"]))
            v = split(linear(h, p[f"{b}.attn.wv"], p[f"{b}.attn.bv"]))
            s = (q @ k.transpose(-2, -1)) * scale
            s = s.masked_fill(causal, float("-inf"))
            a = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(n_batch, seq, dim)
            x = x + linear(a, p[f"{b}.attn.wo"], p[f"{b}.attn.bo"])
            h2 = F.layer_norm(x, (dim,), p[f"{b}.ln2.gamma"], p[f"{b}.ln2.beta"], 1e-5)
            m = F.gelu(linear(h2, p[f"{b}.mlp.w1"], p[f"{b}.mlp.b1"]), approximate="tanh")
            x = x + linear(m, p[f"{b}.mlp.w2"], p[f"{b}.mlp.b2"])
        hf = F.layer_norm(x, (dim,), p["ln_f.gamma"], p["ln_f.beta"], 1e-5)
        logits = linear(hf, p["head.w"], p["head.b"])
        return F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))

    opt = torch.optim.Adam(
        list(params.values()),
        lr=train["lr"],
        betas=(train["beta1"], train["beta2"]),
        eps=train["eps"],
        weight_decay=0,
    )

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss.item()

    out = sys.stdout
    out.write(json.dumps({
        "ready": True,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "params": sum(t.numel() for t in params.values()),
    }) + "\n")
    out.flush()
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "steps" and len(words) == 2:
            times, losses = [], []
            for _ in range(int(words[1])):
                t0 = time.perf_counter()
                losses.append(step())
                times.append((time.perf_counter() - t0) * 1000.0)
            out.write(json.dumps({"ms": times, "losses": losses}) + "\n")
        else:
            out.write(json.dumps({"error": f"unknown command {line.strip()!r}"}) + "\n")
        out.flush()


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
