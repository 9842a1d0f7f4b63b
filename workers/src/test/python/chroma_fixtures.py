"""Real-Chroma fixtures for the Java tests: make deltas, replay them into an oracle, dump any directory.

Every directory here is written or read by chromadb itself (the version pinned in requirements.txt), so
the Java tests never judge our writer with our own reader.

  scenario OUT             deltas covering the engine's cases, under OUT/deltas, plus OUT/scenario.json
  oracle   OUT.json D...   a fresh PersistentClient that upserts every delta's records in order
                           (tombstones first), then the dump of it, plus the counts a merge should report
  dump     OUT.json DIR    what real Chroma answers for DIR: get() of every collection, and query() top 10
  tiny     OUT NAME SPACE DIM N   one delta with one collection of N records (for conflicting deltas)
  series   OUT N           N small deltas OUT/delta-00 .. in write order, overlapping ids, some tombstones
  floats   OUT.json        doubles as Chroma itself writes them in its queue rows
"""

import hashlib
import json
import os
import pickle
import shutil
import sqlite3
import sys
import tempfile
import types

import chromadb
import numpy as np

DIM = 1536
RANK = 12  # vectors live near a low-rank subspace, so HNSW search is exact on these sizes
BATCH = 100
TOMBSTONES = "tombstones.json"


# ---------------------------------------------------------------- vectors and records

def basis(seed):
    return np.random.default_rng(seed).standard_normal((RANK, DIM)).astype(np.float32)


def vectors(rng, b, n):
    coeffs = rng.standard_normal((n, RANK)).astype(np.float32)
    noise = 0.01 * rng.standard_normal((n, DIM)).astype(np.float32)
    return (coeffs @ b + noise).astype(np.float32)


UNICODE = ["naïve café", "東京の夜", "emoji 🚀✨", "quotes ' \" \\ back", "tab\tand\nnewline", "Ωμέγα"]


def record_fields(prefix, i, rng, full):
    """A document and metadata for record i: every value type, arrays included; some absent."""
    doc = None if i % 7 == 3 else f"{prefix} {i} {UNICODE[i % len(UNICODE)]} " + "lorem " * (i % 5)
    if i % 11 == 5:
        return doc, None
    md = {"n": i, "score": float(rng.random()), "label": f"{prefix}-{i % 13}", "even": i % 2 == 0}
    if full:
        md["tags"] = [f"t{i % 3}", f"t{i % 5}"]
        md["ints"] = [i, i + 1, i + 2]
        md["floats"] = [0.5, i / 3.0]
        md["flags"] = [True, i % 3 == 0]
        md["big"] = 2**53 + i
        md["tiny"] = 1e-300 * (i + 1)
        md["text"] = UNICODE[(i + 1) % len(UNICODE)]
    return doc, md


def add_records(col, prefix, ids, vecs, rng, full=True):
    for s in range(0, len(ids), BATCH):
        docs, mds = zip(*(record_fields(prefix, int(x[len(prefix):]), rng, full) for x in ids[s:s + BATCH]))
        col.add(ids=ids[s:s + BATCH], embeddings=vecs[s:s + BATCH], documents=list(docs), metadatas=list(mds))


def client(path):
    return chromadb.PersistentClient(path=path)


def words(c):
    return c.get_or_create_collection("words", configuration={"hnsw": {"space": "cosine"}})


def lines(c):
    return c.get_or_create_collection("lines", metadata={"kind": "line", "version": 2})


def receipts(c):
    return c.get_or_create_collection("receipts", configuration={"hnsw": {"space": "ip"}})


def ids(prefix, lo, hi):
    return [f"{prefix}{i:04d}" for i in range(lo, hi)]


# ---------------------------------------------------------------- the scenario

def make_scenario(out):
    deltas = os.path.join(out, "deltas")
    os.makedirs(deltas)
    bw, bl, br = basis(1), basis(2), basis(3)
    rng = np.random.default_rng(42)
    report = {}

    # 00: two collections, every metadata type, unicode, absent docs/metadata; the same id upserted
    # twice within the delta; producer deletes.
    d = os.path.join(deltas, "00-base")
    c = client(d)
    w = words(c)
    add_records(w, "w", ids("w", 0, 250), vectors(rng, bw, 250), rng)
    w.upsert(ids=["w0005"], embeddings=vectors(rng, bw, 1), metadatas=[{"n": -5, "extra": "first"}])
    w.upsert(ids=["w0005"], embeddings=vectors(rng, bw, 1), documents=["w0005 twice"], metadatas=[{"extra": "second"}])
    w.delete(ids=ids("w", 10, 15))
    add_records(lines(c), "l", ids("l", 0, 150), vectors(rng, bl, 150), rng, full=False)
    report["00-base"] = describe(d)
    del c

    # 01: more than 1,000 records, so part of the vectors are in HNSW files (with deleted marks) and
    # part only in the queue; upserts of flushed and unflushed ids after the flush.
    d = os.path.join(deltas, "01-big")
    c = client(d)
    w = words(c)
    first = ids("w", 200, 1100)
    add_records(w, "w", first, vectors(rng, bw, len(first)), rng)
    w.delete(ids=ids("w", 300, 305))  # before the flush: deleted marks in data_level0.bin
    rest = ids("w", 1100, 1500)
    add_records(w, "w", rest, vectors(rng, bw, len(rest)), rng)
    w.upsert(ids=["w0400", "w1450"], embeddings=vectors(rng, bw, 2), metadatas=[{"n": 4000, "new": True}, None])
    w.upsert(ids=["w1450"], embeddings=vectors(rng, bw, 1), documents=["w1450 again"])
    w.update(ids=["w0401"], metadatas=[{"label": None, "updated": 1}])
    w.delete(ids=["w0402", "w1460"])
    report["01-big"] = describe(d)
    del c

    # 02: overlapping lines with changed value types; a third collection (ip) with neither documents
    # nor metadata; tombstones for earlier records.
    d = os.path.join(deltas, "02-lines-tombstones")
    c = client(d)
    li = lines(c)
    lid = ids("l", 100, 300)
    li.add(ids=lid, embeddings=vectors(rng, bl, len(lid)),
           metadatas=[{"n": float(i) + 0.25, "kind": "again"} for i in range(len(lid))])
    r = receipts(c)
    rid = ids("r", 0, 120)
    r.add(ids=rid, embeddings=vectors(rng, br, len(rid)))
    write_tombstones(d, {"words": ["w0020", "w0021", "w0700", "missing-id"], "lines": ["l0000", "l0001"]})
    report["02-lines-tombstones"] = describe(d)
    del c

    # 03: a flushed delta whose id map is the legacy pickled PersistentData object (Chroma 0.4-0.6).
    d = os.path.join(deltas, "03-legacy-pickle")
    c = client(d)
    w = words(c)
    lid = ids("w", 1450, 2500) + ["w0020"]
    add_records(w, "w", lid, vectors(rng, bw, len(lid)), rng)
    report["03-legacy-pickle"] = describe(d)
    del c
    rewrite_pickle_as_legacy_object(d)
    report["03-legacy-pickle"]["legacyPickle"] = True

    # 04: a producer that only deleted.
    d = os.path.join(deltas, "04-tombstones-only")
    os.makedirs(d)
    write_tombstones(d, {"words": ["w0030"], "lines": ["l0150"]})
    report["04-tombstones-only"] = {"collections": {}}

    with open(os.path.join(out, "scenario.json"), "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)


def write_tombstones(delta, collections):
    with open(os.path.join(delta, TOMBSTONES), "w") as f:
        json.dump({"format": "chroma-compactor/tombstones", "version": 1, "collections": collections}, f)


def describe(delta):
    """What the delta holds on disk: per collection, HNSW elements and queue rows (for coverage asserts)."""
    db = sqlite3.connect(os.path.join(delta, "chroma.sqlite3"))
    out = {}
    for cid, name in db.execute("SELECT id, name FROM collections"):
        vec = db.execute("SELECT id FROM segments WHERE collection=? AND scope='VECTOR'", (cid,)).fetchone()[0]
        queue = db.execute("SELECT count(*), sum(vector IS NOT NULL) FROM embeddings_queue WHERE topic=?",
                           ("persistent://default/default/" + cid,)).fetchone()
        header = os.path.join(delta, vec, "header.bin")
        elements = 0
        if os.path.exists(os.path.join(delta, vec, "index_metadata.pickle")):
            with open(header, "rb") as f:
                elements = int.from_bytes(f.read(28)[20:28], "little")
        out[name] = {"hnswElements": elements, "queueRows": queue[0], "queueVectors": queue[1] or 0,
                     "vectorSegment": vec}
    db.close()
    return {"collections": out}


def rewrite_pickle_as_legacy_object(delta):
    """Replaces each dict pickle by a pickled PersistentData instance, as Chroma 0.4-0.6 wrote it."""
    module = types.ModuleType("chromadb.segment.impl.vector.local_persistent_hnsw")

    PersistentData = type("PersistentData", (), {"__module__": module.__name__, "__qualname__": "PersistentData"})
    module.PersistentData = PersistentData
    sys.modules[module.__name__] = module
    db = sqlite3.connect(os.path.join(delta, "chroma.sqlite3"))
    for (vec,) in db.execute("SELECT id FROM segments WHERE scope='VECTOR'"):
        path = os.path.join(delta, vec, "index_metadata.pickle")
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            fields = pickle.load(f)
        row = db.execute("SELECT seq_id FROM max_seq_id WHERE segment_id=?", (vec,)).fetchone()
        legacy = PersistentData()
        legacy.__dict__.update(fields)
        legacy.max_seq_id = row[0] if row else None
        legacy.dimensionality = DIM
        with open(path, "wb") as f:
            pickle.dump(legacy, f, protocol=4)
    db.close()


# ---------------------------------------------------------------- oracle and dump

def oracle(out_json, deltas):
    """The seed's algorithm done right: upsert every delta's records, in order, into one client."""
    tmp = tempfile.mkdtemp(prefix="oracle-")
    try:
        target = client(tmp)
        counts = {"recordsRead": 0, "idsOverwritten": 0, "tombstonesApplied": 0}
        for delta in deltas:
            tomb = os.path.join(delta, TOMBSTONES)
            if os.path.exists(tomb):
                with open(tomb) as f:
                    spec = json.load(f)
                names = {c.name for c in target.list_collections()}
                for name, dead in spec["collections"].items():
                    if name in names:
                        col = target.get_collection(name)
                        counts["tombstonesApplied"] += len(col.get(ids=dead, include=[])["ids"])
                        col.delete(ids=dead)
            if not os.path.exists(os.path.join(delta, "chroma.sqlite3")):
                continue
            source = client(delta)
            for src in source.list_collections():
                hnsw = src.configuration.get("hnsw") or {}
                dst = target.get_or_create_collection(
                    src.name, metadata=src.metadata,
                    configuration={"hnsw": {"space": hnsw.get("space", "l2")}})
                all_ids = src.get(include=[])["ids"]
                for s in range(0, len(all_ids), BATCH):
                    got = src.get(ids=all_ids[s:s + BATCH], include=["embeddings", "documents", "metadatas", "uris"])
                    counts["recordsRead"] += len(got["ids"])
                    counts["idsOverwritten"] += len(dst.get(ids=got["ids"], include=[])["ids"])
                    dst.upsert(ids=got["ids"], embeddings=got["embeddings"], documents=got["documents"],
                               metadatas=got["metadatas"], uris=got["uris"])
            del source
        result = dump_client(target)
        result["counts"] = dict(counts, recordsWritten=sum(c["count"] for c in result["collections"].values()))
        del target
        write_json(out_json, result)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def query_vectors(name, dim, n=12):
    rng = np.random.default_rng(int(hashlib.sha256(name.encode()).hexdigest()[:8], 16))
    seed = {"words": 1, "lines": 2, "receipts": 3}.get(name, 9)
    if dim != DIM:
        return rng.standard_normal((n, dim)).astype(np.float32)
    return vectors(rng, basis(seed), n)


def exact_top10(embeddings, ids, queries, space):
    """The true ten nearest records of each query, by brute force over what get() returned, with hnswlib's
    distances: what an approximate index's answer is judged against."""
    e = embeddings.astype(np.float64)
    out = []
    for q in queries.astype(np.float64):
        if space == "l2":
            d = ((e - q) ** 2).sum(axis=1)
        elif space == "cosine":
            norms = np.linalg.norm(e, axis=1)
            d = 1.0 - (e @ q) / (np.where(norms > 0, norms, 1.0) * (np.linalg.norm(q) or 1.0))
        else:  # ip
            d = 1.0 - e @ q
        top = np.argsort(d, kind="stable")[:10]
        out.append({"ids": [ids[j] for j in top], "distances": [float(d[j]) for j in top]})
    return out


def dump_client(c):
    out = {}
    for col in sorted(c.list_collections(), key=lambda x: x.name):
        got = col.get(include=["embeddings", "documents", "metadatas", "uris"])
        records = {}
        dim = None
        for i, rid in enumerate(got["ids"]):
            emb = np.asarray(got["embeddings"][i], dtype="<f4")
            dim = emb.shape[0]
            records[rid] = {
                "document": got["documents"][i],
                "uri": got["uris"][i],
                "metadata": got["metadatas"][i],
                "embeddingSha256": hashlib.sha256(emb.tobytes()).hexdigest(),
                "embeddingHead": [float(x) for x in emb[:3]],
            }
        queries = []
        exact = []
        hnsw = col.configuration.get("hnsw") or {}
        if dim:
            q = query_vectors(col.name, dim)
            res = col.query(query_embeddings=q, n_results=10, include=["distances"])
            queries = [{"ids": i, "distances": d} for i, d in zip(res["ids"], res["distances"])]
            exact = exact_top10(np.asarray(got["embeddings"], dtype=np.float32), got["ids"], q,
                                hnsw.get("space") or (col.metadata or {}).get("hnsw:space", "l2"))
        out[col.name] = {"count": col.count(), "space": hnsw.get("space"), "dimension": dim,
                         "metadata": col.metadata, "records": records, "queries": queries, "exact": exact}
    return {"collections": out}


def dump(out_json, directory):
    c = client(directory)
    write_json(out_json, dump_client(c))


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, ensure_ascii=False, sort_keys=True)


def make_tiny(out, name, space, dim, n):
    rng = np.random.default_rng(dim)
    col = client(out).get_or_create_collection(name, configuration={"hnsw": {"space": space}})
    if n > 0:  # n = 0: a delta whose collection was created but never written
        col.add(ids=[f"tiny{i}" for i in range(n)], embeddings=rng.standard_normal((n, dim)).astype(np.float32))


SERIES_DIM = 16
SERIES_POOL = [f"p{i:02d}" for i in range(40)]
# Ids with scripted histories (kept out of the random picks): a late delete, and a late write deleted later.
SERIES_SCRIPT = {
    2: {"write": ["p05", "p06"]},
    7: {"delete": ["p05", "p06"]},   # held back in the late-arrival test: a late delete
    9: {"write": ["p05"]},           # p05 written again after that delete: the delete must lose
    11: {"write": ["p30"]},
    13: {"write": ["p30"]},          # held back: a late write to an id deleted later
    16: {"delete": ["p30"]},
}


def make_series(out, n):
    """N deltas whose write order is their index. Every write carries a document and the same metadata keys, so a
    late upsert that loses to a newer one loses nothing the newer one does not replace."""
    os.makedirs(out)
    free = [x for x in SERIES_POOL if x not in {"p05", "p06", "p30"}]
    for i in range(n):
        rng = np.random.default_rng(1000 + i)
        d = os.path.join(out, f"delta-{i:02d}")
        script = SERIES_SCRIPT.get(i, {})
        written = sorted(set(rng.choice(free, size=8, replace=False).tolist()) | set(script.get("write", [])))
        c = client(d)
        col = c.get_or_create_collection("series", configuration={"hnsw": {"space": "l2"}})
        col.add(ids=written, embeddings=rng.standard_normal((len(written), SERIES_DIM)).astype(np.float32),
                documents=[f"{x} written by delta {i}" for x in written],
                metadatas=[{"delta": i, "label": f"{x}-{i}", "score": float(rng.random())} for x in written])
        c.close()
        dead = list(script.get("delete", []))
        if i % 5 == 4:
            dead += sorted(rng.choice(free, size=2, replace=False).tolist())
        if dead:
            write_tombstones(d, {"series": dead})


FLOATS = [0.1, 0.5, 1.0, 3.0, -2.5, 1e-7, 1.5e-5, 0.0001234, 1e21, 1e16, 1.2345e16, 123456789012345.6,
          2.0 ** 60, 1e-300 * 3, 1e-298, 1.0000000000000001e-298, 5e-324, 1.7976931348623157e308,
          0.30000000000000004, 2.2250738585072014e-308, -0.0, 100.0, 12345.678, 9007199254740993.0]


def floats(out_json):
    """Each double with the text Chroma's serde_json wrote for it into the queue."""
    tmp = tempfile.mkdtemp(prefix="floats-")
    try:
        col = client(tmp).get_or_create_collection("floats")
        col.add(ids=[f"f{i}" for i in range(len(FLOATS))], embeddings=[[1.0, 2.0]] * len(FLOATS),
                metadatas=[{"x": v} for v in FLOATS])
        db = sqlite3.connect(os.path.join(tmp, "chroma.sqlite3"))
        rows = dict(db.execute("SELECT id, metadata FROM embeddings_queue"))
        db.close()
        cases = []
        for i, v in enumerate(FLOATS):
            text = rows[f"f{i}"]
            cases.append({"value": v.hex(), "chromaText": text[len('{"x":'):-1]})
        write_json(out_json, cases)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv):
    cmd = argv[1]
    if cmd == "scenario":
        make_scenario(argv[2])
    elif cmd == "oracle":
        oracle(argv[2], argv[3:])
    elif cmd == "dump":
        dump(argv[2], argv[3])
    elif cmd == "tiny":
        make_tiny(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]))
    elif cmd == "series":
        make_series(argv[2], int(argv[3]))
    elif cmd == "floats":
        floats(argv[2])
    else:
        raise SystemExit(f"unknown command {cmd}; see the module docstring")


if __name__ == "__main__":
    main(sys.argv)
