"""Test vectors for the benches, as little-endian float32 rows: bench/vectors.py KIND N DIM OUT.f32 [--seed S]

KIND:
  gauss      i.i.d. standard normal: no structure at all, the hardest case for any HNSW (and what
             bench/make_deltas.py writes into its deltas)
  lowrank    a 32-d latent space mapped into DIM plus a little noise (bench/hnsw/run's vectors until now)
  clustered  what text embeddings look like: a shared mean direction, variance falling off as a
             power law over a random orthonormal basis (anisotropic), points in a few hundred clusters
             of unequal size, unit length (cosine)

Written in blocks of 5,000 rows, so that a million rows never sit in memory at once. The same
(KIND, N, DIM, seed) always gives the same file.
"""

from __future__ import annotations

import argparse

import numpy as np

CLUSTERS = 300


def clustered_model(dim: int, rng: np.random.Generator):
    """The shared parts of 'clustered': mean, basis scaled by the spectrum, cluster centres and weights."""
    # A random orthonormal basis; the spectrum i^-0.8 keeps most of the variance in a few hundred
    # directions without any direction being exactly zero, as measured embedding spectra do.
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    scale = (np.arange(1, dim + 1) ** -0.4).astype(np.float64)
    shaped = (basis * scale).T  # rows: scaled basis vectors
    shaped /= np.sqrt((scale ** 2).sum())
    mean = rng.standard_normal(dim)
    mean *= 0.6 / np.linalg.norm(mean)
    centres = rng.standard_normal((CLUSTERS, dim)) @ shaped
    weights = rng.pareto(1.2, CLUSTERS) + 1
    weights /= weights.sum()
    return mean, shaped, centres, weights


def block(kind: str, rows: int, dim: int, rng: np.random.Generator, model) -> np.ndarray:
    if kind == "gauss":
        return rng.standard_normal((rows, dim), dtype=np.float32)
    if kind == "lowrank":
        basis = model
        latent = rng.standard_normal((rows, basis.shape[0])).astype(np.float32)
        return latent @ basis + 0.05 * rng.standard_normal((rows, dim)).astype(np.float32)
    mean, shaped, centres, weights = model
    which = rng.choice(len(centres), size=rows, p=weights)
    spread = rng.uniform(0.35, 0.7, size=(rows, 1))
    x = mean + centres[which] + spread * (rng.standard_normal((rows, dim)) @ shaped)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def write(kind: str, n: int, dim: int, out: str, seed: int = 5) -> None:
    rng = np.random.default_rng(seed)
    if kind == "lowrank":
        model = rng.standard_normal((32, dim)).astype(np.float32) / np.sqrt(32)
    elif kind == "clustered":
        model = clustered_model(dim, rng)
    elif kind == "gauss":
        model = None
    else:
        raise SystemExit(f"unknown kind {kind!r}: gauss, lowrank or clustered")
    with open(out, "wb") as f:
        for start in range(0, n, 5000):
            block(kind, min(5000, n - start), dim, rng, model).astype("<f4").tofile(f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind")
    parser.add_argument("n", type=int)
    parser.add_argument("dim", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    write(args.kind, args.n, args.dim, args.out, args.seed)


if __name__ == "__main__":
    main()
