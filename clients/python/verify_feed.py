#!/usr/bin/python3
"""A crosstrace partner in Python, written from the published formats alone (no project code).

Reads trace.updates.<CC> and audit.disclosures.<CC> with the partner's own credentials (a
librdkafka properties file from `bin/crosstrace admin partner add CC --out DIR`; with Debian 12's
librdkafka 2.0.2, whose SCRAM Kafka 4 refuses, the mutual-TLS one: DIR/CC-tls.properties),
decodes Avro through the schema registry (Confluent wire format: magic 0, 4-byte schema id),
and verifies:
  - every audit record: SHA-256(prevHash || Avro(record with hash, signature empty)) = hash,
    Ed25519 signature over hash by a trusted key valid at the record's disclosedAt (a rotated-out
    key extends no chain), auditSeq gap-free from a single genesis (a second genesis or a fork is
    flagged), disclosedAt never earlier than its predecessor's (no back-dating);
  - every update: Ed25519 signature over signedBytes exactly as carried, by a key valid when
    the update was published, then the view decoded from signedBytes with the writer schema
    their id names; audience = CC; its audit record (auditHash) verified and recording
    SHA-256(signedBytes), the trace, the seq, the signer and disclosedAt = the view's publishedAt;
    seq never older, publishedAt never earlier, than one accepted for the trace.
Prints one JSON object (the verdicts) on stdout; exit 0 when every update and record verified.
Debian packages: python3-confluent-kafka, python3-avro, python3-cryptography.
"""
import argparse, hashlib, io, json, re, sys, time, urllib.request
from datetime import datetime

import avro.io, avro.schema
from confluent_kafka import Consumer, TopicPartition
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key


def load_properties(path):
    conf = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            conf[k.strip()] = v.strip()
    return conf


def load_trust(path):
    """key id -> (public key, valid_from ms or None, valid_until ms or None): for each key, optional
    `key-id:` / `valid-from:` / `valid-until:` lines, then its PEM PUBLIC KEY block."""
    ms = lambda s: None if s in (None, "-") else int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)
    keys, attrs, block = {}, {}, None
    for line in open(path, encoding="utf-8").read().splitlines():
        line = line.strip()
        if block is not None:
            block.append(line)
            if line == "-----END PUBLIC KEY-----":
                key = load_pem_public_key("\n".join(block).encode())
                key_id = hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]
                keys[key_id] = (key, ms(attrs.get("valid-from")), ms(attrs.get("valid-until")))
                attrs, block = {}, None
        elif line == "-----BEGIN PUBLIC KEY-----":
            block = [line]
        elif re.match(r"^[a-z-]+:", line):
            name, value = line.split(":", 1)
            attrs[name] = value.strip()
    if not keys:
        sys.exit(f"no PEM public key in {path}")
    return keys


class Registry:
    def __init__(self, url):
        self.url, self.schemas = url.rstrip("/"), {}

    def schema(self, schema_id):
        if schema_id not in self.schemas:
            with urllib.request.urlopen(f"{self.url}/schemas/ids/{schema_id}", timeout=10) as r:
                self.schemas[schema_id] = avro.schema.parse(json.load(r)["schema"])
        return self.schemas[schema_id]

    def decode(self, framed):
        if len(framed) < 5 or framed[0] != 0:
            raise ValueError("not Confluent wire format")
        schema = self.schema(int.from_bytes(framed[1:5], "big"))
        return avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(framed[5:]))), schema

    @staticmethod
    def encode(record, schema):
        out = io.BytesIO()
        avro.io.DatumWriter(schema).write(record, avro.io.BinaryEncoder(out))
        return out.getvalue()


def millis(t):
    """timestamp-millis as ms: the avro package decodes the logical type to a datetime."""
    return int(t.timestamp() * 1000) if isinstance(t, datetime) else t


def valid_at(key, t):
    """Whether a trusted key (key, valid_from, valid_until) signs for instant t (ms)."""
    return (key[1] is None or t >= key[1]) and (key[2] is None or t < key[2])


def ed25519_ok(key, signature, data):
    try:
        key.verify(signature, data)
        return True
    except (InvalidSignature, ValueError):
        return False


class Ledger:
    """One audience's audit chain; records judged as read (one partition: in order)."""
    def __init__(self, keys):
        self.keys, self.by_hash, self.children, self.genesis, self.flags = keys, {}, set(), None, []

    def add(self, rec, schema):
        h = rec["hash"]
        body = dict(rec, hash=b"", signature=b"")
        if hashlib.sha256(rec["prevHash"] + Registry.encode(body, schema)).digest() != h:
            return self._set(rec, False, "hash does not match the record (altered)")
        k = self.keys.get(rec["signerKeyId"])
        if k is not None and not ed25519_ok(k[0], rec["signature"], h):
            return self._set(rec, False, "signature does not verify (forged)")
        if k is not None and not valid_at(k, millis(rec["disclosedAt"])):
            return self._set(rec, False, "signed by a key outside its validity at disclosedAt (a retired key)")
        ok, why = (k is not None), ("" if k is not None else "signed by a key not trusted here")
        if rec["auditSeq"] == 1 and rec["prevHash"] == bytes(32):
            if self.genesis is not None:
                self.flags.append(f"new genesis at seq 1 (node {rec['signerKeyId']})")
                return self._set(rec, False, "second genesis: the chain was restarted")
            self.genesis = h
        else:
            parent = self.by_hash.get(rec["prevHash"])
            if parent is None:
                return self._set(rec, False, "links to a record not read (missing)")
            if not parent["ok"] and not parent["foreign"]:
                return self._set(rec, False, "follows an unverified record")
            if parent["rec"]["auditSeq"] != rec["auditSeq"] - 1:
                return self._set(rec, False, "gap in auditSeq")
            if millis(rec["disclosedAt"]) < millis(parent["rec"]["disclosedAt"]):
                return self._set(rec, False, "dated before its predecessor (back-dated)")
            if rec["prevHash"] in self.children:
                self.flags.append(f"fork after seq {parent['rec']['auditSeq']} (node {rec['signerKeyId']})")
                return self._set(rec, False, "fork: a second record continues its predecessor")
        self.children.add(rec["prevHash"])
        return self._set(rec, ok, why, foreign=k is None)

    def _set(self, rec, ok, why, foreign=False):
        self.by_hash[rec["hash"]] = {"rec": rec, "ok": ok, "why": why, "foreign": foreign}
        return ok


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--properties", required=True)
    p.add_argument("--registry", required=True)
    p.add_argument("--trust", required=True)
    p.add_argument("--jurisdiction", required=True)
    p.add_argument("--timeout", type=float, default=60)
    a = p.parse_args()
    cc, keys, registry = a.jurisdiction, load_trust(a.trust), Registry(a.registry)
    conf = load_properties(a.properties)
    conf.update({"group.id": f"partner-{cc}-python-{int(time.time() * 1000)}", "enable.auto.commit": False, "isolation.level": "read_committed"})
    consumer = Consumer(conf)
    tps = [TopicPartition(f"audit.disclosures.{cc}", 0, 0), TopicPartition(f"trace.updates.{cc}", 0, 0)]
    high = [consumer.get_watermark_offsets(tp, timeout=30)[1] for tp in tps]
    consumer.assign(tps)
    ledger, updates, audits, skipped = Ledger(keys), [], 0, []
    deadline = time.time() + a.timeout
    while time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            pos = consumer.position(tps)
            if all(tp.offset >= h for tp, h in zip(pos, high)):
                break
            continue
        if msg.error():
            sys.exit(f"kafka: {msg.error()}")
        try:
            value, schema = registry.decode(msg.value())
        except Exception as e:  # not Avro of a known schema: counted, not verified
            skipped.append(f"{msg.topic()}@{msg.offset()}: {e}")
            continue
        if msg.topic().startswith("audit."):
            audits += 1
            ledger.add(value, schema)
        else:
            updates.append((msg.offset(), value))
    consumer.close()
    caught_up = time.time() < deadline
    verdicts, newest = [], {}
    for offset, s in updates:  # after the audit feed is read: every link can be decided
        v = {"offset": offset, "signerKeyId": s["signerKeyId"]}
        key = keys.get(s["signerKeyId"])
        data = s.get("signedBytes") or b""
        if key is None:
            v.update(ok=False, code="unknown-key")
        elif not data or not ed25519_ok(key[0], s["signature"], data):
            v.update(ok=False, code="bad-signature")
        else:
            try:
                view, _ = registry.decode(data)
            except Exception as e:  # signed, yet not a TraceUpdate: nothing to show
                v.update(ok=False, code="malformed", reason=str(e))
                verdicts.append(v)
                continue
            entry = ledger.by_hash.get(s["auditHash"])
            rec = entry and entry["rec"]
            v.update(traceId=view["traceId"], seq=view["seq"], status=view["status"])
            published = millis(view["publishedAt"])
            if not valid_at(key, published):
                v.update(ok=False, code="key-not-valid")
            elif view["audience"] != cc:
                v.update(ok=False, code="wrong-audience")
            elif entry is None or not entry["ok"]:
                v.update(ok=False, code="audit-unverified", reason=entry["why"] if entry else "no audit record")
            elif (rec["audience"], rec["traceId"], rec["updateSeq"], rec["signerKeyId"], rec["updateDigest"], millis(rec["disclosedAt"])) != (cc, view["traceId"], view["seq"], s["signerKeyId"], hashlib.sha256(data).digest(), published):
                v.update(ok=False, code="audit-mismatch")
            elif view["seq"] < newest.get(view["traceId"], (-1, -1))[0] or published < newest.get(view["traceId"], (-1, -1))[1]:
                v.update(ok=False, code="replayed")
            else:
                newest[view["traceId"]] = (view["seq"], published)
                v.update(ok=True)
        verdicts.append(v)
    records = ledger.by_hash.values()
    out = {
        "jurisdiction": cc, "caughtUp": caught_up, "skipped": skipped, "updates": verdicts,
        "audit": {"records": audits, "verified": sum(1 for r in records if r["ok"]), "foreign": sum(1 for r in records if r["foreign"]),
                  "unverified": [{"auditSeq": r["rec"]["auditSeq"], "why": r["why"]} for r in records if not r["ok"] and not r["foreign"]],
                  "flags": ledger.flags},
    }
    print(json.dumps(out))
    bad = [v for v in verdicts if not v["ok"]] or out["audit"]["unverified"] or ledger.flags or not caught_up
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
