"""Make a folder of Chroma 1.x delta directories with real chromadb, for the benchmark.

Usage: make_deltas.py <size> [--out-root bench/out/deltas] [--workers 2]

<size> is `seed` (the seed document's failure case: 10 deltas, 1,856 records in all),
`<deltas>x<records per delta>` such as `100x250`, or `<base size>+<records>` such as
`4000x250+10000`: an increment on top of that base, deltas of 250 records of which half update ids
the base holds and half are new ids.

Each delta is a Chroma persisted directory `delta-NNNNN` holding one collection `words`
(cosine space) whose records carry a 1536-d float32 vector, a 100-200 character document and
5-8 metadata keys of every scalar type.  About 10 % of each delta's ids were already written by an
earlier delta, so that merging performs real overwrites (last delta wins).  The vectors are
`bench/vectors.py`'s `clustered` kind, shaped like text embeddings (a shared mean direction, a
power-law spectrum, clusters of unequal size); version 1 of this generator wrote i.i.d. Gaussian
vectors, the worst case for any HNSW index, whose recall says little about real data.

Everything is derived from fixed seeds, so a size is always the same data.  A finished folder is
recorded in `<out-root>/<size>.manifest.json` and reused as is; an interrupted run resumes,
because each delta is built in a scratch folder and only renamed into place once complete.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

import vectors

DIM = 1536
COLLECTION = "words"
REUSE_FRACTION = 0.10
# Bump when the generated data changes, so that stale cached folders are rebuilt.
GENERATOR_VERSION = 2
MODEL_SEED = 1536
INCREMENT_PER_DELTA = 250
SEED_SIZE = "seed"
SEED_DELTAS = 10
SEED_RECORDS = 1856

WORDS = (
    "total subtotal tax cash change visa debit credit receipt store market grocery milk bread eggs "
    "butter cheese apple banana coffee tea water soda chips salsa rice beans chicken beef pork "
    "fish salad soup sandwich pizza pasta sauce oil sugar salt pepper flour yogurt cereal juice "
    "candy qty each price discount coupon member savings balance due thank you visit again www store "
    "com cashier register lane date time approved auth ref card ending in item count paid tip gratuity"
).split()


@dataclass(frozen=True)
class DeltaPlan:
    """What one delta holds: its position and the ids it writes (new and re-upserted)."""

    index: int
    ids: tuple[str, ...]
    reused: int
    seed: tuple[int, ...] = ()


def parse_size(size: str) -> tuple[int, list[int]]:
    """Return (number of deltas, records per delta) for a size name."""
    if "+" in size:
        base, records = size.split("+", 1)
        parse_size(base)
        try:
            total = int(records)
        except ValueError:
            raise SystemExit(f"bad size {size!r}: use '<base size>+<records>', e.g. 4000x250+10000")
        deltas = max(1, -(-total // INCREMENT_PER_DELTA))
        return deltas, spread(total, deltas)
    if size == SEED_SIZE:
        counts = spread(SEED_RECORDS, SEED_DELTAS)
        return SEED_DELTAS, counts
    try:
        deltas, per_delta = (int(part) for part in size.lower().split("x"))
    except ValueError:
        raise SystemExit(f"bad size {size!r}: use 'seed' or '<deltas>x<records>', e.g. 100x250")
    if deltas < 1 or per_delta < 1:
        raise SystemExit(f"bad size {size!r}: both numbers must be positive")
    return deltas, [per_delta] * deltas


def spread(total: int, parts: int) -> list[int]:
    """Split total into parts that differ by at most one (1856 over 10 -> 186 x6, 185 x4)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def id_of(number: int) -> str:
    return f"word-{number:08d}"


def plan_deltas(size: str) -> list[DeltaPlan]:
    """Decide every delta's ids up front, so deltas can be built in any order and in parallel."""
    if "+" in size:
        return plan_increment(size)
    n_deltas, counts = parse_size(size)
    rng = np.random.default_rng([GENERATOR_VERSION, n_deltas, sum(counts)])
    plans, next_id = [], 0
    for index, count in enumerate(counts):
        reused = min(round(count * REUSE_FRACTION), next_id) if index else 0
        old = rng.choice(next_id, size=reused, replace=False) if reused else []
        fresh = range(next_id, next_id + count - reused)
        next_id += count - reused
        ids = tuple(id_of(int(n)) for n in old) + tuple(id_of(n) for n in fresh)
        plans.append(DeltaPlan(index=index, ids=ids, reused=reused,
                               seed=(GENERATOR_VERSION, n_deltas, index, 7)))
    return plans


def plan_increment(size: str) -> list[DeltaPlan]:
    """An increment on a base size: half of each delta updates base ids, half adds new ones."""
    base = size.split("+", 1)[0]
    base_ids = sum(len(p.ids) - p.reused for p in plan_deltas(base))
    n_deltas, counts = parse_size(size)
    rng = np.random.default_rng([GENERATOR_VERSION, base_ids, sum(counts), 11])
    updated = rng.choice(base_ids, size=sum(c // 2 for c in counts), replace=False)
    plans, next_new, taken = [], base_ids, 0
    for index, count in enumerate(counts):
        half = count // 2
        old = updated[taken:taken + half]
        taken += half
        fresh = range(next_new, next_new + count - half)
        next_new += count - half
        ids = tuple(id_of(int(n)) for n in old) + tuple(id_of(n) for n in fresh)
        plans.append(DeltaPlan(index=index, ids=ids, reused=half,
                               seed=(GENERATOR_VERSION, base_ids, n_deltas, index, 13)))
    return plans


_MODEL = None


def embedding_model():
    """The clustered vectors' shared parts (mean, spectrum, centres), the same in every process."""
    global _MODEL
    if _MODEL is None:
        _MODEL = vectors.clustered_model(DIM, np.random.default_rng(MODEL_SEED))
    return _MODEL


def document(rng: np.random.Generator) -> str:
    target = int(rng.integers(100, 201))
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < target:
        words.append(WORDS[int(rng.integers(len(WORDS)))])
    return " ".join(words)[:200]


def metadata(rng: np.random.Generator, delta_index: int) -> dict:
    """5 fixed keys plus up to 3 optional ones, covering str, int, float and bool values."""
    meta = {
        "text": WORDS[int(rng.integers(len(WORDS)))],
        "receipt_id": int(rng.integers(1, 1_000_000)),
        "confidence": float(rng.random()),
        "is_noise": bool(rng.random() < 0.1),
        "delta": delta_index,
    }
    optional = {
        "line_id": int(rng.integers(0, 80)),
        "x": float(rng.random()),
        "label": str(rng.choice(["MERCHANT", "DATE", "TOTAL", "ITEM", "OTHER"])),
    }
    for key in list(optional)[: int(rng.integers(0, 4))]:
        meta[key] = optional[key]
    return meta


def build_delta(plan: DeltaPlan, parent: Path, scratch: Path, n_deltas: int) -> int:
    """Write one delta into scratch, then rename it into parent; returns its record count."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    name = f"delta-{plan.index:05d}"
    work = scratch / name
    shutil.rmtree(work, ignore_errors=True)
    rng = np.random.default_rng(list(plan.seed))
    embeddings = vectors.block("clustered", len(plan.ids), DIM, rng, embedding_model())
    documents = [document(rng) for _ in plan.ids]
    metadatas = [metadata(rng, plan.index) for _ in plan.ids]

    client = chromadb.PersistentClient(path=str(work))
    collection = client.create_collection(COLLECTION, configuration={"hnsw": {"space": "cosine"}})
    batch = min(100, client.get_max_batch_size())
    for start in range(0, len(plan.ids), batch):
        stop = start + batch
        collection.add(
            ids=list(plan.ids[start:stop]),
            embeddings=embeddings[start:stop],
            documents=documents[start:stop],
            metadatas=metadatas[start:stop],
        )
    del collection, client
    # chromadb caches every client's system per path; without this a worker that builds hundreds
    # of deltas keeps them all open (files, threads, memory) and the generator slows down.
    SharedSystemClient.clear_system_cache()
    os.replace(work, parent / name)
    return len(plan.ids)


def manifest_path(out_root: Path, size: str) -> Path:
    return out_root / f"{size}.manifest.json"


def load_manifest(out_root: Path, size: str) -> dict | None:
    """The manifest of a complete, current folder for this size, or None."""
    path = manifest_path(out_root, size)
    if not path.exists():
        return None
    manifest = json.loads(path.read_text())
    parent = Path(manifest.get("parent", ""))
    complete = manifest.get("generatorVersion") == GENERATOR_VERSION and all(
        (parent / f"delta-{i:05d}" / "chroma.sqlite3").exists() for i in range(manifest["deltas"])
    )
    return manifest if complete else None


def ensure_deltas(size: str, out_root: Path, workers: int = 2) -> dict:
    """Return the manifest of the delta folder for size, building what is missing."""
    manifest = load_manifest(out_root, size)
    if manifest:
        print(f"[deltas {size}] reusing {manifest['parent']}", file=sys.stderr)
        return manifest
    manifest_path(out_root, size).unlink(missing_ok=True)
    plans = plan_deltas(size)
    parent = out_root / size
    scratch = out_root / f".{size}.scratch"
    # Resume only deltas this generator version made: an older version's folder is made anew.
    marker = parent / ".generator-version"
    if parent.exists() and (not marker.exists() or marker.read_text().strip() != str(GENERATOR_VERSION)):
        print(f"[deltas {size}] {parent} was made by another generator version: making it anew",
              file=sys.stderr)
        shutil.rmtree(parent)
    parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{GENERATOR_VERSION}\n")
    scratch.mkdir(parents=True, exist_ok=True)
    todo = [p for p in plans if not (parent / f"delta-{p.index:05d}").exists()]
    build_missing(size, todo, parent, scratch, len(plans), workers)
    shutil.rmtree(scratch, ignore_errors=True)
    manifest = describe(size, plans, parent)
    manifest_path(out_root, size).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def build_missing(size, todo, parent, scratch, n_deltas, workers) -> None:
    started = time.perf_counter()
    done = n_deltas - len(todo)
    if done:
        print(f"[deltas {size}] resuming: {done} of {n_deltas} already built", file=sys.stderr)
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        build = partial(build_delta, parent=parent, scratch=scratch, n_deltas=n_deltas)
        jobs = pool.map(build, todo, chunksize=4)
        for built, _ in enumerate(jobs, start=1):
            if built % 25 == 0 or built == len(todo):
                elapsed = time.perf_counter() - started
                print(f"[deltas {size}] {done + built}/{n_deltas} deltas, {elapsed:.1f} s",
                      file=sys.stderr)


def describe(size: str, plans: list[DeltaPlan], parent: Path) -> dict:
    records = sum(len(p.ids) for p in plans)
    reupserts = sum(p.reused for p in plans)
    return {
        "size": size,
        "parent": str(parent.resolve()),
        "deltas": len(plans),
        "records": records,
        "reupserts": reupserts,
        "uniqueIds": records - reupserts,
        "dimension": DIM,
        "collection": COLLECTION,
        "generatorVersion": GENERATOR_VERSION,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size")
    parser.add_argument("--out-root", type=Path, default=Path(__file__).parent / "out" / "deltas")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(json.dumps(ensure_deltas(args.size, args.out_root, args.workers)))


if __name__ == "__main__":
    main()
