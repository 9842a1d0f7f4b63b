"""The fault sweep's deltas and its validator: a fresh process that judges a bucket after a faulted run.

Nothing here imports the compactor: the bucket is read as a reader would (boto3 or the folder), the snapshot
is opened by real chromadb, and what it must hold is rebuilt from the producers' own delta folders by
chromadb upserting them (the model).

  deltas   OUT              the sweep's deltas, made by chromadb, under OUT/<name>/, and OUT/deltas.json
                            listing them in write order with the ones that are bad by construction
  validate SPEC.json OUT.json   checks the bucket SPEC names (see validate()); writes the report to OUT.json
                            and exits 0 when it holds no violation, 1 when it does
  model    SPEC.json OUT.json   only the model of SPEC's deltas (all of them, in order), for tests

SPEC (written by the Java driver, FaultValidator):
  {"bucket": {"s3": NAME, "endpoint": URL} | {"dir": PATH},
   "deltas": [{"key": "deltas/d02-words/", "source": DIR, "sequence": 2, "bad": false}, ...],
   "collectable": {"snapshots/b-.../": [delta keys it consumed]}   (a superseded base GC may have deleted),
   "succeeded": [{"execution": NAME, "published": "snapshots/b-.../" or null}],
   "failed": [{"execution": NAME, "status": "FAILED", "error": NAME}],
   "running": [batch ids whose executions are still running],
   "expectAllConsumed": true,
   "cache": DIR}

The order of "deltas" is the merge order the model follows. Each delta carries a sequence: an operation on
an id applies only when its delta's sequence is not below the sequence of the id's last write or delete, so a
delta that arrives late loses to newer writes (with every delta in order this is plain upsert order).
"""

import hashlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chroma_fixtures as cf  # noqa: E402

MANIFEST = "manifest.json"
LATEST = "latest"
PROCESSED = "plans/processed/"
DONE = "DONE"
DIM = 32
INDEX_PROBES = 25  # records per collection whose own vector must find them through the index


# ---------------------------------------------------------------- the sweep's deltas

def make_deltas(out):
    """Two deltas for the published base, then the swept batch: overlapping upserts, tombstones, three
    collections (cosine, l2, ip), and one delta that is not a database (quarantined by Plan); last, the delta a
    producer pushes while the batch runs."""
    os.makedirs(out)
    rng = np.random.default_rng(17)
    bw, bl, br = (rng.standard_normal((cf.RANK, DIM)).astype(np.float32) for _ in range(3))

    def vecs(b, n):  # near a low-rank subspace, as chroma_fixtures draws them, in DIM dimensions
        coeffs = rng.standard_normal((n, cf.RANK)).astype(np.float32)
        return (coeffs @ b + 0.01 * rng.standard_normal((n, DIM)).astype(np.float32)).astype(np.float32)

    listing = []

    def delta(name, bad=False, pushed=False):
        listing.append({"name": name, "bad": bad, "pushed": pushed})
        return os.path.join(out, name)

    c = cf.client(delta("d00-words"))
    cf.add_records(cf.words(c), "w", cf.ids("w", 0, 120), vecs(bw, 120), rng)
    del c
    c = cf.client(delta("d01-lines"))
    cf.add_records(cf.lines(c), "l", cf.ids("l", 0, 80), vecs(bl, 80), rng, full=False)
    del c

    d = delta("d02-words")
    c = cf.client(d)
    w = cf.words(c)
    cf.add_records(w, "w", cf.ids("w", 100, 180), vecs(bw, 80), rng)
    w.upsert(ids=["w0101"], embeddings=vecs(bw, 1), metadatas=[{"n": -101, "extra": "partial"}])
    del c
    cf.write_tombstones(d, {"words": cf.ids("w", 0, 5)})

    c = cf.client(delta("d03-words"))
    w = cf.words(c)
    cf.add_records(w, "w", cf.ids("w", 180, 220), vecs(bw, 40), rng)
    w.upsert(ids=["w0005", "w0150"], embeddings=vecs(bw, 2), documents=["w0005 again", None],
             metadatas=[None, {"label": "late", "n": 150}])
    del c

    d = delta("d04-lines")
    c = cf.client(d)
    cf.add_records(cf.lines(c), "l", cf.ids("l", 50, 100), vecs(bl, 50), rng, full=False)
    del c
    cf.write_tombstones(d, {"lines": ["l0000", "l0001"]})

    c = cf.client(delta("d05-receipts"))
    cf.receipts(c).add(ids=cf.ids("r", 0, 40), embeddings=vecs(br, 40))
    del c

    d = delta("d06-bad", bad=True)
    os.makedirs(d)
    with open(os.path.join(d, "chroma.sqlite3"), "wb") as f:
        f.write(b"this is not a SQLite database, a producer's upload gone wrong\n" * 64)

    # not in the start state: a producer pushes it (compactor push) while the batch runs, and the next run takes it
    c = cf.client(delta("d07-pushed", pushed=True))
    w = cf.words(c)
    cf.add_records(w, "w", cf.ids("w", 220, 240), vecs(bw, 20), rng)
    w.upsert(ids=["w0002", "w0120"], embeddings=vecs(bw, 2), documents=["w0002 back", "w0120 pushed"])
    del c

    cf.write_json(os.path.join(out, "deltas.json"), listing)


# ---------------------------------------------------------------- the bucket, as a reader sees it

class Bucket:
    """S3 (boto3, e.g. LocalStack) or a folder laid out like the bucket."""

    def __init__(self, spec):
        self.dir = spec.get("dir")
        if self.dir is None:
            import boto3
            from botocore.config import Config
            self.name = spec["s3"]
            self.s3 = boto3.client("s3", endpoint_url=spec.get("endpoint"), region_name="us-east-1",
                                   aws_access_key_id="test", aws_secret_access_key="test",
                                   config=Config(s3={"addressing_style": "path"},
                                                 retries={"max_attempts": 5, "mode": "standard"}))

    def describe(self):
        return self.dir if self.dir is not None else "s3://" + self.name

    def keys(self, prefix=""):
        if self.dir is not None:
            out = []
            for root, _, files in os.walk(self.dir):
                for f in files:
                    rel = os.path.relpath(os.path.join(root, f), self.dir).replace(os.sep, "/")
                    if rel.startswith(prefix):
                        out.append(rel)
            return sorted(out)
        out = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix):
            out.extend(o["Key"] for o in page.get("Contents", []))
        return sorted(out)

    def get(self, key):
        if self.dir is not None:
            path = os.path.join(self.dir, key)
            if not os.path.isfile(path):
                return None
            with open(path, "rb") as f:
                return f.read()
        try:
            return self.s3.get_object(Bucket=self.name, Key=key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None

    def download(self, key, target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if self.dir is not None:
            shutil.copyfile(os.path.join(self.dir, key), target)
        else:
            self.s3.download_file(self.name, key, target)


# ---------------------------------------------------------------- the model

def model_key(deltas):
    text = json.dumps([[d["key"], d["sequence"], os.path.abspath(d["source"])] for d in deltas])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def build_model(deltas, cache):
    """The records chromadb holds after upserting the deltas in the given order, under the sequence rule."""
    path = os.path.join(cache, "model-" + model_key(deltas) + ".json") if cache else None
    if path and os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    tmp = tempfile.mkdtemp(prefix="fault-model-")
    try:
        target = cf.client(os.path.join(tmp, "model"))
        last = {}  # (collection, id) -> sequence of the id's last write or delete

        def newest(name, rid, seq):
            if last.get((name, rid), float("-inf")) > seq:
                return False
            last[(name, rid)] = seq
            return True

        for n, d in enumerate(deltas):
            seq = d["sequence"]
            tomb = os.path.join(d["source"], cf.TOMBSTONES)
            if os.path.exists(tomb):
                with open(tomb) as f:
                    spec = json.load(f)
                names = {c.name for c in target.list_collections()}
                for name, dead in spec["collections"].items():
                    dead = [rid for rid in dead if newest(name, rid, seq)]
                    if name in names and dead:
                        target.get_collection(name).delete(ids=dead)
            if not os.path.exists(os.path.join(d["source"], "chroma.sqlite3")):
                continue
            copy = os.path.join(tmp, "delta-%d" % n)  # chromadb writes to what it opens
            shutil.copytree(d["source"], copy)
            source = cf.client(copy)
            for src in source.list_collections():
                hnsw = src.configuration.get("hnsw") or {}
                dst = target.get_or_create_collection(src.name, metadata=src.metadata,
                                                      configuration={"hnsw": {"space": hnsw.get("space", "l2")}})
                ids = src.get(include=[])["ids"]
                for s in range(0, len(ids), cf.BATCH):
                    got = src.get(ids=ids[s:s + cf.BATCH], include=["embeddings", "documents", "metadatas", "uris"])
                    keep = [i for i, rid in enumerate(got["ids"]) if newest(src.name, rid, seq)]
                    if keep:
                        dst.upsert(ids=[got["ids"][i] for i in keep],
                                   embeddings=[got["embeddings"][i] for i in keep],
                                   documents=[got["documents"][i] for i in keep],
                                   metadatas=[got["metadatas"][i] for i in keep],
                                   uris=[got["uris"][i] for i in keep])
            del source
        result = records_of(target)
        del target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if path:
        os.makedirs(cache, exist_ok=True)
        cf.write_json(path + ".tmp", result)
        os.replace(path + ".tmp", path)
    return result


def records_of(c):
    """Every collection's configuration and records, as get() returns them (no queries)."""
    out = {}
    for col in sorted(c.list_collections(), key=lambda x: x.name):
        got = col.get(include=["embeddings", "documents", "metadatas", "uris"])
        records = {}
        dim = None
        for i, rid in enumerate(got["ids"]):
            emb = np.asarray(got["embeddings"][i], dtype="<f4")
            dim = emb.shape[0]
            records[rid] = {"document": got["documents"][i], "uri": got["uris"][i],
                            "metadata": got["metadatas"][i],
                            "embeddingSha256": hashlib.sha256(emb.tobytes()).hexdigest()}
        hnsw = col.configuration.get("hnsw") or {}
        out[col.name] = {"count": col.count(), "space": hnsw.get("space"), "dimension": dim,
                         "metadata": col.metadata, "records": records}
    return out


def compare(expected, actual):
    """Differences between two records_of() results, at most a few of each kind, as sentences."""
    problems = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            problems.append("collection %s: missing (%d records expected)" % (name, len(expected[name]["records"])))
            continue
        if name not in expected:
            problems.append("collection %s: not expected (%d records)" % (name, len(actual[name]["records"])))
            continue
        e, a = expected[name], actual[name]
        for field in ("count", "space", "dimension", "metadata"):
            if e[field] != a[field]:
                problems.append("collection %s: %s expected %r, found %r" % (name, field, e[field], a[field]))
        missing = sorted(set(e["records"]) - set(a["records"]))
        extra = sorted(set(a["records"]) - set(e["records"]))
        differing = sorted(rid for rid in set(e["records"]) & set(a["records"]) if e["records"][rid] != a["records"][rid])
        if missing:
            problems.append("collection %s: %d records missing, first %s" % (name, len(missing), missing[:5]))
        if extra:
            problems.append("collection %s: %d records not expected, first %s" % (name, len(extra), extra[:5]))
        for rid in differing[:3]:
            fields = [k for k in e["records"][rid] if e["records"][rid][k] != a["records"][rid].get(k)]
            problems.append("collection %s: record %s differs in %s: expected %r, found %r" % (
                name, rid, fields, {k: e["records"][rid][k] for k in fields}, {k: a["records"][rid][k] for k in fields}))
        if len(differing) > 3:
            problems.append("collection %s: %d more records differ" % (name, len(differing) - 3))
    return problems


def distances(space, queries, vectors):
    """Chroma's distances for a space: squared L2, 1 - cosine similarity, 1 - inner product."""
    if space == "cosine":
        queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        return 1.0 - queries @ vectors.T
    if space == "ip":
        return 1.0 - queries @ vectors.T
    return ((queries[:, None, :] - vectors[None, :, :]) ** 2).sum(axis=2)


def index_problems(c):
    """The index answers as exact search does: for probed records' own vectors, query() top 1 is at the
    distance brute force over get() finds. A torn, stale or missing index does not."""
    problems = []
    for col in sorted(c.list_collections(), key=lambda x: x.name):
        got = col.get(include=["embeddings"])
        ids = got["ids"]
        if not ids:
            continue
        vectors = np.asarray(got["embeddings"], dtype=np.float64)
        step = max(1, len(ids) // INDEX_PROBES)
        probe = list(range(0, len(ids), step))[:INDEX_PROBES]
        space = (col.configuration.get("hnsw") or {}).get("space", "l2")
        exact = distances(space, vectors[probe], vectors).min(axis=1)
        res = col.query(query_embeddings=vectors[probe].astype(np.float32), n_results=1, include=["distances"])
        for k, i in enumerate(probe):
            if not res["ids"][k]:
                problems.append("collection %s: query by %s's vector found nothing" % (col.name, ids[i]))
            elif abs(res["distances"][k][0] - exact[k]) > 1e-4 * max(1.0, abs(exact[k])):
                problems.append("collection %s: query by %s's vector: top 1 %s at %.6g, exact search finds %.6g" % (
                    col.name, ids[i], res["ids"][k][0], res["distances"][k][0], exact[k]))
    return problems[:10]


# ---------------------------------------------------------------- validation

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Report:
    def __init__(self):
        self.violations = []
        self.facts = {}

    def violate(self, check, detail):
        self.violations.append({"check": check, "detail": detail})


def read_chain(bucket, report, collectable=None):
    """latest, then each snapshot's base: [(prefix, manifest)], newest first. A base in collectable that is gone
    whole ends the chain with the deltas the spec says it consumed."""
    collectable = collectable or {}
    body = bucket.get(LATEST)
    if body is None:
        return []
    prefix = body.decode("utf-8").strip()
    chain, seen = [], set()
    while prefix:
        if prefix in seen:
            report.violate("CHAIN", "snapshot chain loops at " + prefix)
            break
        seen.add(prefix)
        raw = bucket.get(prefix + MANIFEST)
        if raw is None and chain and prefix in collectable and not bucket.keys(prefix):
            # a superseded base the garbage collection deleted whole: its deltas are known from the spec
            report.facts["collected"] = prefix
            chain.append((prefix, {"deltaKeys": collectable[prefix], "collected": True}))
            break
        if raw is None:
            report.violate("MANIFEST" if not chain else "CHAIN",
                           "%s has no %s%s" % (prefix, MANIFEST, "" if not chain else " (base of " + chain[-1][0] + ")"))
            break
        manifest = json.loads(raw)
        chain.append((prefix, manifest))
        prefix = (manifest.get("base") or {}).get("prefix")
    return chain


def check_files(bucket, prefix, manifest, into, report):
    """Downloads the snapshot and checks every file against its manifest (size and SHA-256, nothing extra)."""
    listed = manifest.get("files") or {}
    present = [k[len(prefix):] for k in bucket.keys(prefix)]
    ok = True
    for rel in sorted(set(listed) - set(present)):
        report.violate("MANIFEST", "%s%s: listed in the manifest, not in the bucket" % (prefix, rel))
        ok = False
    for rel in sorted(set(present) - set(listed) - {MANIFEST}):
        report.violate("MANIFEST", "%s%s: in the bucket, not in the manifest" % (prefix, rel))
        ok = False
    for rel in present:
        target = os.path.join(into, rel)
        bucket.download(prefix + rel, target)
        if rel in listed:
            size, sha = os.path.getsize(target), sha256_file(target)
            want = listed[rel]
            if size != want["bytes"] or sha != want["sha256"]:
                report.violate("MANIFEST", "%s%s: expected %d bytes sha256 %s, found %d bytes sha256 %s" % (
                    prefix, rel, want["bytes"], want["sha256"], size, sha))
                ok = False
    return ok


def validate(spec):
    report = Report()
    bucket = Bucket(spec["bucket"])
    deltas = spec["deltas"]
    by_key = {d["key"]: d for d in deltas}
    all_keys = bucket.keys()
    report.facts["objects"] = len(all_keys)

    # latest names a complete snapshot whose manifest checks
    chain = read_chain(bucket, report, spec.get("collectable"))
    report.facts["chain"] = [p for p, _ in chain]
    consumed = []
    for _, m in reversed(chain):
        consumed.extend(k for k in m.get("deltaKeys", []) if k not in consumed)
    report.facts["consumed"] = consumed
    for k in consumed:
        if k not in by_key:
            report.violate("UNKNOWN_DELTA", "the snapshot chain consumed %s, which no producer wrote" % k)

    quarantined = {}
    for key in bucket.keys("quarantine/"):
        reason = json.loads(bucket.get(key))
        quarantined[reason.get("deltaKey")] = reason
        if not reason.get("problem") or not reason.get("detail"):
            report.violate("QUARANTINE", "%s records %s without a problem and a detail" % (key, reason.get("deltaKey")))
    report.facts["quarantined"] = sorted(quarantined)
    marked = set()
    for key in bucket.keys(PROCESSED):
        if key.endswith("/" + DONE):
            marked.add("deltas/" + key[len(PROCESSED):-len(DONE)])

    # no delta lost: each is consumed, pending, or quarantined with a reason
    present = {k[:k.index("/", len("deltas/")) + 1] for k in all_keys if k.startswith("deltas/") and "/" in k[len("deltas/"):]}
    pending = []
    for d in deltas:
        key = d["key"]
        if key in quarantined:
            if not d.get("bad"):
                report.violate("QUARANTINE", "%s is a good delta, quarantined as %s: %s" % (
                    key, quarantined[key].get("problem"), quarantined[key].get("detail")))
            continue
        if key in consumed:
            if d.get("bad"):
                report.violate("BAD_CONSUMED", "%s is bad by construction but was consumed" % key)
            continue
        if key in marked:
            report.violate("LOST", "%s is marked processed but is neither in the published snapshot chain %s nor "
                           "quarantined" % (key, report.facts["chain"]))
            continue
        if key not in present:
            report.violate("LOST", "%s is neither consumed nor quarantined, and its objects are gone" % key)
            continue
        pending.append(key)
    report.facts["pending"] = pending

    # the snapshot equals the model of exactly the consumed deltas, and its index finds its records
    if chain:
        prefix, manifest = chain[0]
        work = tempfile.mkdtemp(prefix="fault-validate-")
        try:
            folder = os.path.join(work, "snapshot")
            os.makedirs(folder)
            check_files(bucket, prefix, manifest, folder, report)
            expected_records = manifest.get("records") or {}
            model_deltas = [d for d in deltas if d["key"] in consumed and d["key"] not in quarantined]
            report.facts["modelDeltas"] = [d["key"] for d in model_deltas]
            expected = build_model(model_deltas, spec.get("cache"))
            try:
                c = cf.client(folder)
                actual = records_of(c)
                report.facts["records"] = {n: len(col["records"]) for n, col in actual.items()}
                for problem in compare(expected, actual):
                    report.violate("MODEL", prefix + ": " + problem)
                for name, count in expected_records.items():
                    if name in actual and actual[name]["count"] != count:
                        report.violate("MANIFEST", "%s: the manifest counts %d records in %s, chromadb %d" % (
                            prefix, count, name, actual[name]["count"]))
                for problem in index_problems(c):
                    report.violate("INDEX", prefix + ": " + problem)
                del c
            except Exception as e:  # chromadb could not open or read it: that is the finding
                report.violate("OPEN", "%s: chromadb cannot read the snapshot: %s: %s" % (prefix, type(e).__name__, e))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    elif consumed or marked - set(quarantined):
        report.violate("LATEST", "no snapshot is published, yet deltas are marked processed: %s" % sorted(marked))

    # GC never deleted what a running batch needs: its plan's deltas, and the snapshot it merges on
    for batch in spec.get("running", []):
        raw = bucket.get("plans/%s/chunks.json" % batch)
        for chunk in json.loads(raw) if raw else []:
            for key in chunk["deltaKeys"]:
                if key not in present:
                    report.violate("NEEDED", "running batch %s needs %s, which is gone" % (batch, key))

    # a run that reported success is visible
    prefixes = set(report.facts["chain"])
    for run in spec.get("succeeded", []):
        if run.get("published") and run["published"] not in prefixes:
            report.violate("SUCCESS_NOT_VISIBLE", "execution %s reported that it published %s, which is not in the "
                           "chain of latest %s" % (run["execution"], run["published"], report.facts["chain"]))

    # a run that reported failure published nothing: else an alarm fires for a batch that is done, and its Cleanup
    # never runs
    claimed_by = {}
    for key in bucket.keys("plans/"):
        if key.endswith("/claim.json"):
            claimed_by[key.split("/")[1]] = json.loads(bucket.get(key)).get("executionName")
    for run in spec.get("failed", []):
        for prefix, m in chain:
            if claimed_by.get(m.get("batchId")) == run["execution"]:
                report.violate("FAILED_BUT_PUBLISHED", "execution %s reported %s (%s), yet the snapshot %s of its batch "
                               "%s is published" % (run["execution"], run.get("status"), run.get("error"), prefix,
                                                    m.get("batchId")))

    # liveness: every committed delta is published (or quarantined) by now
    if spec.get("expectAllConsumed") and pending:
        claims = []
        for key in bucket.keys("plans/"):
            if key.endswith("/claim.json"):
                claim = json.loads(bucket.get(key))
                claims.append("%s by %s at %s" % (key.split("/")[1], claim.get("executionName"), claim.get("claimedAt")))
        report.violate("NOT_LIVE", "%d deltas still pending after the recovery run: %s; claims in the bucket: %s" % (
            len(pending), pending, claims))

    return report


def main(argv):
    cmd = argv[1]
    if cmd == "deltas":
        make_deltas(argv[2])
    elif cmd == "validate":
        with open(argv[2]) as f:
            spec = json.load(f)
        report = validate(spec)
        cf.write_json(argv[3], {"ok": not report.violations, "violations": report.violations, "facts": report.facts})
        for v in report.violations:
            print("%s: %s" % (v["check"], v["detail"]))
        sys.exit(0 if not report.violations else 1)
    elif cmd == "model":
        with open(argv[2]) as f:
            spec = json.load(f)
        cf.write_json(argv[3], build_model(spec["deltas"], spec.get("cache")))
    else:
        raise SystemExit("unknown command %s; see the module docstring" % cmd)


if __name__ == "__main__":
    main(sys.argv)
