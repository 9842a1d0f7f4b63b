"""Fixtures that run under every chromadb release the compactor reads or writes for (0.4.14 to 1.5.9, on
Python 3.11 or 3.13), for the Java tests of the release families and targets. Only API calls that every
one of those releases has are used (lists, not numpy arrays; hnsw:space as collection metadata).

  delta  OUT INDEX [arrays]   a delta as this release writes it: collection 'words' (cosine, 1,100 adds so
                              that 1,000 are flushed to HNSW files and 100 stay in the queue, then upserts,
                              a metadata update and deletes) and 'lines' (l2, float metadata). INDEX (0..)
                              shifts the ids, so that the deltas of consecutive releases share 1,000 ids.
                              'arrays' adds array metadata (chromadb 1.5 only)
  dump   OUT.json DIR...      what this release answers for each DIR (a copy is opened): version, and per
                              collection its metadata, every record (document, metadata, embedding) and
                              query() top 10 with distances; OUT.json holds a list, one entry per DIR
  oracle OUT.json DUMP...     a fresh directory of this release that upserts the records of each dump in
                              order, dumped the same way (a list of one entry)
  oracles OUT.json DUMP...    one such oracle per dump: a list with one entry per DUMP
  later  DIR apply|check      later writes through this release: 'apply' adds 3 records, upserts 1 and
                              deletes 1 in 'words' and saves what get() must show; 'check' (a new process)
                              reopens DIR and exits 1 unless it shows exactly that
"""

import hashlib
import json
import os
import shutil
import sys
import tempfile

import chromadb  # noqa: E402
import numpy as np  # noqa: E402
from chromadb.config import Settings  # noqa: E402

DIM = 16
WORDS = 1100
LINES = 150
BATCH = 100
UNICODE = ["naïve café", "東京の夜", "emoji 🚀", "quotes ' \" \\", "tab\tand\nnewline"]


def client(path):
    return chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))


def words(c):
    return c.get_or_create_collection("words", metadata={"hnsw:space": "cosine"})


def lines(c):
    return c.get_or_create_collection("lines", metadata={"kind": "line"})


def fields(prefix, i, arrays):
    doc = None if i % 9 == 4 else f"{prefix} {i} {UNICODE[i % len(UNICODE)]}"
    if i % 13 == 6:
        return doc, None
    md = {"n": i, "f": i / 7.0 + 0.1, "label": f"{prefix}-{i % 5}", "even": i % 2 == 0}
    if arrays and i % 3 == 0:
        md["tags"] = [f"t{i % 4}", f"t{i % 7}"]
        md["scores"] = [i / 3.0, 0.5]
    return doc, md


def add(col, prefix, ids, vecs, arrays, op="add"):
    for s in range(0, len(ids), BATCH):
        batch = ids[s:s + BATCH]
        docs, mds = zip(*(fields(prefix, int(x[len(prefix):]), arrays) for x in batch))
        kwargs = dict(ids=batch, embeddings=vecs[s:s + BATCH].tolist(), documents=list(docs))
        if any(m is not None for m in mds):
            kwargs["metadatas"] = [m if m is not None else {"none": True} for m in mds]
        getattr(col, op)(**kwargs)


def make_delta(out, index, arrays):
    rng = np.random.default_rng(1000 + index)
    c = client(out)
    w = words(c)
    first = 100 * index
    ids = [f"w{i:05d}" for i in range(first, first + WORDS)]
    add(w, "w", ids, rng.standard_normal((WORDS, DIM)).astype(np.float32), arrays)
    # upserts of flushed and queued ids, with a new vector and partial metadata
    up = [ids[3], ids[500], ids[1050], ids[1099]]
    w.upsert(ids=up, embeddings=rng.standard_normal((len(up), DIM)).astype(np.float32).tolist(),
             metadatas=[{"n": -1, "upserted": True}] * len(up))
    w.update(ids=[ids[10]], metadatas=[{"label": "updated", "f": 0.30000000000000004}])
    w.delete(ids=[ids[20], ids[1060]])
    li = lines(c)
    lid = [f"l{i:05d}" for i in range(first, first + LINES)]
    add(li, "l", lid, (10 * rng.standard_normal((LINES, DIM))).astype(np.float32), False)
    del c


def query_vectors(name, dim, near=None):
    """Ten queries: near the given records (each plus a little noise), so that the top 10 is well apart
    from the rest and an approximate search finds it; else normal vectors."""
    rng = np.random.default_rng(int(hashlib.sha256(name.encode()).hexdigest()[:8], 16))
    noise = 0.05 * rng.standard_normal((10, dim))
    if near is None:
        return (20 * noise).astype(np.float32).tolist()
    return (np.asarray(near, dtype=np.float64) + noise).astype(np.float32).tolist()


def dump_client(c):
    out = {}
    for name in sorted(n if isinstance(n, str) else n.name for n in c.list_collections()):
        col = c.get_collection(name)  # 0.6 lists names only, the others collections
        got = col.get(include=["embeddings", "documents", "metadatas"])
        records = {}
        dim = None
        for i, rid in enumerate(got["ids"]):
            emb = np.asarray(got["embeddings"][i], dtype="<f4")
            dim = emb.shape[0]
            records[rid] = {"document": got["documents"][i], "metadata": got["metadatas"][i],
                            "embedding": [float(x) for x in emb]}
        queries = []
        if dim:
            first = sorted(records)[:10]
            near = [records[first[k % len(first)]]["embedding"] for k in range(10)]
            vectors = query_vectors(col.name, dim, near)
            res = col.query(query_embeddings=vectors, n_results=10, include=["distances"])
            queries = [{"ids": i, "distances": d, "vector": v} for i, d, v in zip(res["ids"], res["distances"], vectors)]
        metadata = col.metadata or {}
        out[col.name] = {"count": col.count(), "metadata": metadata, "space": metadata.get("hnsw:space", "l2"),
                         "records": records, "queries": queries}
    return {"version": chromadb.__version__, "collections": out}


def dump(out_json, directories):
    result = []
    for directory in directories:
        tmp = tempfile.mkdtemp(prefix="dump-")
        try:
            copy = os.path.join(tmp, "d")
            shutil.copytree(directory, copy)
            c = client(copy)
            result.append(dump_client(c))
            del c
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    write_json(out_json, result)


def oracle(out_json, dumps):
    write_json(out_json, [upserted(dumps)])


def oracles(out_json, dumps):
    write_json(out_json, [upserted([d]) for d in dumps])


def upserted(dumps):
    """A fresh directory of this release that upserts every record of the dumps, in order, dumped."""
    tmp = tempfile.mkdtemp(prefix="oracle-")
    try:
        target = client(tmp)
        for path in dumps:
            with open(path) as f:
                entries = json.load(f)
            for entry in entries:
                for name, col in entry["collections"].items():
                    dst = target.get_or_create_collection(name, metadata=col["metadata"] or None)
                    ids = sorted(col["records"])
                    for s in range(0, len(ids), BATCH):
                        batch = [col["records"][i] for i in ids[s:s + BATCH]]
                        kwargs = dict(ids=ids[s:s + BATCH], embeddings=[r["embedding"] for r in batch],
                                      documents=[r["document"] for r in batch])
                        if any(r["metadata"] for r in batch):
                            kwargs["metadatas"] = [r["metadata"] or {"none": True} for r in batch]
                        dst.upsert(**kwargs)
        result = dump_client(target)
        del target
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def later(directory, stage):
    expected_file = directory.rstrip("/") + ".later.json"
    c = client(directory)
    w = c.get_collection("words")
    if stage == "apply":
        rng = np.random.default_rng(7)
        some = sorted(w.get(include=[])["ids"])
        new = ["later-a", "later-b", "later-c"]
        w.add(ids=new, embeddings=rng.standard_normal((3, DIM)).astype(np.float32).tolist(),
              documents=["a", "b", "c"], metadatas=[{"later": 1}, {"later": 2}, {"later": 3}])
        w.upsert(ids=[some[0]], embeddings=rng.standard_normal((1, DIM)).astype(np.float32).tolist(),
                 metadatas=[{"later": 4}])
        w.delete(ids=[some[1]])
        got = w.get(include=["metadatas", "documents"])
        state = {rid: [got["documents"][i], got["metadatas"][i]] for i, rid in enumerate(got["ids"])}
        write_json(expected_file, {"count": w.count(), "state": state, "deleted": some[1]})
    else:
        with open(expected_file) as f:
            expected = json.load(f)
        got = w.get(include=["metadatas", "documents"])
        state = {rid: [got["documents"][i], got["metadatas"][i]] for i, rid in enumerate(got["ids"])}
        if w.count() != expected["count"] or state != expected["state"] or expected["deleted"] in state:
            raise SystemExit(f"later writes lost: count {w.count()} vs {expected['count']}")
        hits = w.query(query_embeddings=query_vectors("words", DIM), n_results=10, include=["distances"])
        if any(len(ids) != 10 for ids in hits["ids"]):
            raise SystemExit("query after later writes returned fewer than 10 results")


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, ensure_ascii=False, sort_keys=True)


def main(argv):
    cmd = argv[1]
    if cmd == "delta":
        make_delta(argv[2], int(argv[3]), len(argv) > 4 and argv[4] == "arrays")
    elif cmd == "dump":
        dump(argv[2], argv[3:])
    elif cmd == "oracle":
        oracle(argv[2], argv[3:])
    elif cmd == "oracles":
        oracles(argv[2], argv[3:])
    elif cmd == "later":
        later(argv[2], argv[3])
    else:
        raise SystemExit(f"unknown command {cmd}; see the module docstring")


if __name__ == "__main__":
    main(sys.argv)
