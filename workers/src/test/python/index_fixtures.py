"""Real-Chroma checks for the indexed (compacted-route) snapshots written by IndexedSnapshotWriter.

  inspect  OUT.json DIR          dump DIR as chroma_fixtures.dump does (get + query of every collection),
                                 then report what opening did to it: queue rows and max_seq_id rows per
                                 collection, and the HNSW header element counts
  writes   DIR STAGE             later writes through Chroma: STAGE 'apply' adds (1,230, so Chroma flushes
                                 into our files), upserts and deletes in collection 'words' and saves the expected result beside DIR; STAGE
                                 'check' (a new process) reopens DIR and exits 1 unless get() shows them
  vectors  OUT N DIM NQ SPACE [KIND]  (KIND gauss or lowrank, see sample()) a delta at OUT/delta of one collection 'vectors' with N random vectors
                                 (Chroma builds its index as it flushes), and OUT/queries.npy
  more     OUT N ADDED UPDATED DELETED DIM SPACE [KIND]   OUT/delta2 for `vectors`' collection: new
                                 ids, new vectors for existing ids, and tombstones (see more())
  same     OUT N DIM SPACE KIND KEPT   OUT/delta3 for `vectors`' collection: ids 0..KEPT-1 again, each
                                 with its own vector as `vectors` drew it, and new metadata
  recall   OUT.json DIR NQ...    recall@10 of DIR's collection 'vectors' for OUT/queries.npy against
                                 exact brute force over the vectors it returns with get()
"""

import json
import os
import sqlite3
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chroma_fixtures as cf  # noqa: E402


_query_vectors = cf.query_vectors


def query_vectors(name, dim, n=12):
    """chroma_fixtures' queries, which only know its 1536-d collections; other dimensions get normal ones."""
    if dim == cf.DIM:
        return _query_vectors(name, dim, n)
    return np.random.default_rng(dim).standard_normal((n, dim)).astype(np.float32)


cf.query_vectors = query_vectors


def hnsw_elements(directory, segment):
    header = os.path.join(directory, segment, "header.bin")
    if not os.path.exists(header):
        return None
    with open(header, "rb") as f:
        return int.from_bytes(f.read(28)[20:28], "little")


def state(directory):
    db = sqlite3.connect(os.path.join(directory, "chroma.sqlite3"))
    out = {}
    for cid, name in db.execute("SELECT id, name FROM collections"):
        segs = dict(db.execute("SELECT scope, id FROM segments WHERE collection=?", (cid,)).fetchall())
        queue = db.execute("SELECT count(*) FROM embeddings_queue WHERE topic=?",
                           ("persistent://default/default/" + cid,)).fetchone()[0]
        seqs = {scope: db.execute("SELECT seq_id FROM max_seq_id WHERE segment_id=?", (sid,)).fetchone()
                for scope, sid in segs.items()}
        out[name] = {"queueRows": queue,
                     "maxSeqId": {k: (v[0] if v else None) for k, v in seqs.items()},
                     "hnswElements": hnsw_elements(directory, segs["VECTOR"])}
    db.close()
    return out


def inspect(out_json, directory):
    before = state(directory)
    c = cf.client(directory)
    result = cf.dump_client(c)
    del c
    result["before"] = before
    result["after"] = state(directory)
    cf.write_json(out_json, result)


def writes(directory, stage):
    expected_file = directory.rstrip("/") + ".expected.json"
    if stage == "apply":
        before = state(directory)["words"]["hnswElements"]
        c = cf.client(directory)
        w = c.get_collection("words")
        rng = np.random.default_rng(7)
        dim = len(w.get(limit=1, include=["embeddings"])["embeddings"][0])
        existing = w.get(include=[])["ids"]
        # 1,230 adds: more than sync_threshold, so Chroma grows and flushes our index files in place
        new_ids = [f"later{i:04d}" for i in range(1230)]
        vecs = rng.standard_normal((1230, dim)).astype(np.float32)
        for s in range(0, 1230, 100):
            w.add(ids=new_ids[s:s + 100], embeddings=vecs[s:s + 100],
                  documents=[f"later {i}" for i in range(s, min(s + 100, 1230))],
                  metadatas=[{"later": i} for i in range(s, min(s + 100, 1230))])
        up = existing[:5]
        w.upsert(ids=up, embeddings=rng.standard_normal((5, dim)).astype(np.float32),
                 documents=["upserted"] * 5, metadatas=[{"upserted": True}] * 5)
        gone = existing[5:9]
        w.delete(ids=gone)
        got = w.get(include=["embeddings", "documents", "metadatas"])
        expected = {rid: {"document": got["documents"][i], "metadata": got["metadatas"][i],
                          "embedding": [float(x) for x in got["embeddings"][i]]}
                    for i, rid in enumerate(got["ids"])}
        cf.write_json(expected_file, {"elementsBefore": before, "records": expected, "deleted": gone, "added": new_ids, "upserted": up})
        del c
        return
    with open(expected_file) as f:
        expected = json.load(f)
    c = cf.client(directory)
    w = c.get_collection("words")
    got = w.get(include=["embeddings", "documents", "metadatas"])
    actual = {rid: {"document": got["documents"][i], "metadata": got["metadatas"][i],
                    "embedding": [float(x) for x in got["embeddings"][i]]}
              for i, rid in enumerate(got["ids"])}
    problems = []
    if sorted(actual) != sorted(expected["records"]):
        missing = sorted(set(expected["records"]) - set(actual))
        extra = sorted(set(actual) - set(expected["records"]))
        problems.append(f"ids differ after reopen: missing {missing[:10]} ({len(missing)}), extra {extra[:10]} ({len(extra)})")
    else:
        for rid, e in expected["records"].items():
            if actual[rid] != e:
                problems.append(f"{rid} differs after reopen: {actual[rid]['document']!r} vs {e['document']!r}")
                break
    # the new records must be found by query too
    q = w.query(query_embeddings=[expected["records"][expected["added"][0]]["embedding"]], n_results=1)
    if q["ids"][0][0] != expected["added"][0]:
        problems.append(f"query for a later record returned {q['ids'][0]}")
    after = state(directory)["words"]
    if (after["maxSeqId"]["VECTOR"] or 0) < 1000 or after["hnswElements"] < expected["elementsBefore"] + 1000:
        problems.append(f"Chroma did not flush its writes into the index: {after}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(json.dumps(state(directory)))


def sample(rng, kind, n, dim, basis):
    """'gauss': i.i.d. normal (intrinsic dimension = dim, the hardest case for any HNSW);
    'lowrank': a 32-d latent space mapped into dim plus noise, as text embeddings are;
    'clustered': as bench/vectors.py's kind of that name, what text embeddings look like: a shared
    mean direction, variance falling off as a power law over a random basis, clusters of unequal size."""
    if kind == "gauss":
        return rng.standard_normal((n, dim)).astype(np.float32)
    if kind == "clustered":
        model = np.random.default_rng(dim)  # the same mean, spectrum and centres for data and queries
        q, _ = np.linalg.qr(model.standard_normal((dim, dim)))
        scale = np.arange(1, dim + 1) ** -0.4
        shaped = (q * scale).T / np.sqrt((scale ** 2).sum())
        mean = model.standard_normal(dim)
        mean *= 0.6 / np.linalg.norm(mean)
        centres = model.standard_normal((100, dim)) @ shaped
        weights = model.pareto(1.2, 100) + 1
        which = rng.choice(100, size=n, p=weights / weights.sum())
        spread = rng.uniform(0.35, 0.7, size=(n, 1))
        return (mean + centres[which] + spread * (rng.standard_normal((n, dim)) @ shaped)).astype(np.float32)
    latent = rng.standard_normal((n, basis.shape[0])).astype(np.float32)
    return (latent @ basis + 0.05 * rng.standard_normal((n, dim))).astype(np.float32)


def vectors(out, n, dim, nq, space, kind="gauss"):
    rng = np.random.default_rng(n * 31 + dim)
    basis = rng.standard_normal((32, dim)).astype(np.float32) / np.sqrt(32)
    data = sample(rng, kind, n, dim, basis)
    queries = sample(rng, kind, nq, dim, basis)
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "queries.npy"), queries)
    c = cf.client(os.path.join(out, "delta"))
    col = c.get_or_create_collection("vectors", configuration={"hnsw": {"space": space}})
    for s in range(0, n, 1000):
        col.add(ids=[f"v{i:07d}" for i in range(s, min(n, s + 1000))], embeddings=data[s:s + 1000])
    del c


def more(out, n, added, updated, deleted, dim, space, kind="lowrank"):
    """OUT/delta2: `added` new ids after the N of `vectors`, new vectors for ids 0..updated-1, and a
    tombstones.json deleting the `deleted` ids after those."""
    rng = np.random.default_rng(n * 31 + dim + 1)
    basis = np.random.default_rng(n * 31 + dim).standard_normal((32, dim)).astype(np.float32) / np.sqrt(32)
    ids = [f"v{i:07d}" for i in range(updated)] + [f"v{i:07d}" for i in range(n, n + added)]
    data = sample(rng, kind, len(ids), dim, basis)
    d = os.path.join(out, "delta2")
    c = cf.client(d)
    col = c.get_or_create_collection("vectors", configuration={"hnsw": {"space": space}})
    for s in range(0, len(ids), 1000):
        col.add(ids=ids[s:s + 1000], embeddings=data[s:s + 1000], metadatas=[{"delta": 2}] * len(ids[s:s + 1000]))
    del c
    cf.write_tombstones(d, {"vectors": [f"v{i:07d}" for i in range(updated, updated + deleted)]})


def same(out, n, dim, space, kind, kept):
    """OUT/delta3: the first `kept` ids of `vectors` with their vectors unchanged and new metadata."""
    rng = np.random.default_rng(n * 31 + dim)
    basis = rng.standard_normal((32, dim)).astype(np.float32) / np.sqrt(32)
    data = sample(rng, kind, n, dim, basis)
    c = cf.client(os.path.join(out, "delta3"))
    col = c.get_or_create_collection("vectors", configuration={"hnsw": {"space": space}})
    col.add(ids=[f"v{i:07d}" for i in range(kept)], embeddings=data[:kept], metadatas=[{"delta": 3}] * kept)
    del c


def recall(out_json, directory, queries_npy, k=10):
    queries = np.load(queries_npy)
    c = cf.client(directory)
    col = c.get_collection("vectors")
    space = (col.configuration.get("hnsw") or {}).get("space", "l2")
    got = col.get(include=["embeddings"])
    ids = np.array(got["ids"])
    data = np.asarray(got["embeddings"], dtype=np.float32)
    if space == "l2":
        d = (queries ** 2).sum(1)[:, None] - 2 * queries @ data.T + (data ** 2).sum(1)[None, :]
    elif space == "cosine":
        dn = data / np.linalg.norm(data, axis=1, keepdims=True)
        qn = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        d = 1 - qn @ dn.T
    else:
        d = 1 - queries @ data.T
    exact = np.argsort(d, axis=1)[:, :k]
    res = col.query(query_embeddings=queries, n_results=k, include=[])
    hits = sum(len(set(res["ids"][i]) & set(ids[exact[i]])) for i in range(len(queries)))
    after = state(directory)
    cf.write_json(out_json, {"recall": hits / (len(queries) * k), "count": len(ids), "space": space,
                             "state": after})


def main(argv):
    cmd = argv[1]
    if cmd == "inspect":
        inspect(argv[2], argv[3])
    elif cmd == "writes":
        writes(argv[2], argv[3])
    elif cmd == "vectors":
        vectors(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), argv[6], *argv[7:8])
    elif cmd == "more":
        more(argv[2], *[int(x) for x in argv[3:8]], argv[8], *argv[9:10])
    elif cmd == "same":
        same(argv[2], int(argv[3]), int(argv[4]), argv[5], argv[6], int(argv[7]))
    elif cmd == "recall":
        recall(argv[2], argv[3], argv[4])
    else:
        raise SystemExit(f"unknown command {cmd}; see the module docstring")


if __name__ == "__main__":
    main(sys.argv)
