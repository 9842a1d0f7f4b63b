"""Chroma's own index build on the same vectors, for bench/hnsw/run.

  chroma_build.py VECTORS.f32 N DIM SPACE THREADS OUT_DIR   adds the first N vectors (batches of 1,000)
      to a new PersistentClient collection with hnsw num_threads=THREADS and prints the seconds; OUT_DIR
      is left as a delta the compactor can read
  first_query.py-like: first_query DIR QUERIES.f32 DIM      seconds from PersistentClient(DIR) to the
      answer of its first query, and the count
"""
import sys
import time

import numpy as np
import chromadb


def build(path, n, dim, space, threads, out):
    data = np.memmap(path, dtype="<f4", mode="r", shape=(n, dim))
    c = chromadb.PersistentClient(path=out)
    col = c.get_or_create_collection("vectors", configuration={"hnsw": {"space": space, "num_threads": threads}})
    start = time.perf_counter()
    for s in range(0, n, 1000):
        col.add(ids=[f"v{i:07d}" for i in range(s, min(n, s + 1000))], embeddings=np.asarray(data[s:s + 1000]))
    seconds = time.perf_counter() - start
    print(f"chroma_build n={n} dim={dim} space={space} threads={threads} seconds={seconds:.2f} "
          f"vectors_per_s={n / seconds:.0f} recall={recall(path, n, dim, space, col)}")


def recall(path, n, dim, space, col, k=10):
    """recall@10 of Chroma's own index (its default ef_search) on up to 200 queries, the vectors after the
    first n, against brute force; "-" when the file holds no more vectors."""
    total = np.memmap(path, dtype="<f4", mode="r").shape[0] // dim
    nq = min(200, total - n)
    if nq <= 0:
        return "-"
    everything = np.memmap(path, dtype="<f4", mode="r", shape=(total, dim))
    data, queries = np.asarray(everything[:n]), np.asarray(everything[n:n + nq])
    if space == "l2":
        d = (queries ** 2).sum(1)[:, None] - 2 * queries @ data.T + (data ** 2).sum(1)[None, :]
    else:
        dn = data / np.linalg.norm(data, axis=1, keepdims=True)
        qn = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        d = 1 - qn @ dn.T
    truth = np.argsort(d, axis=1)[:, :k]
    got = col.query(query_embeddings=queries, n_results=k, include=[])["ids"]
    hits = sum(len({int(x[1:]) for x in got[i]} & set(truth[i].tolist())) for i in range(nq))
    return f"{hits / (nq * k):.4f}"


def first_query(directory, dim):
    q = np.random.default_rng(3).standard_normal((1, dim)).astype(np.float32)
    start = time.perf_counter()
    c = chromadb.PersistentClient(path=directory)
    col = c.get_collection("vectors")
    res = col.query(query_embeddings=q, n_results=10)
    seconds = time.perf_counter() - start
    print(f"first_query dir={directory} seconds={seconds:.3f} results={len(res['ids'][0])} count={col.count()}")


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6]), sys.argv[7])
    elif sys.argv[1] == "first_query":
        first_query(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
