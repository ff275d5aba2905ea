#!/usr/bin/python3
"""Unit test of verify_feed.Ledger (run by services/partner/python-ledger.test.ts): a rotated-out
key extends no chain, and a record dated before its predecessor is refused (security review defect 3)."""
import hashlib, os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import avro.schema  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402
from verify_feed import Ledger, Registry  # noqa: E402

# the Disclosure schema with its named types expanded, as the registry serves it (given by the caller)
SCHEMA = avro.schema.parse(os.environ["DISCLOSURE_SCHEMA"])
ROTATED_AT = 1_700_000_000_000


def key_id(priv):
    return hashlib.sha256(priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


class Chain:
    def __init__(self):
        self.seq, self.prev = 0, bytes(32)

    def append(self, priv, disclosed_at):
        rec = {"auditSeq": self.seq + 1, "traceId": "t1", "updateSeq": self.seq + 1, "audience": "FR", "legalBasis": "ART33_REALTIME_TRAFFIC",
               "caseReference": "GB-1", "hopIds": [], "subscriberHandles": 0, "updateDigest": bytes(32), "disclosedAt": disclosed_at,
               "signerKeyId": key_id(priv), "prevHash": self.prev, "hash": b"", "signature": b""}
        rec["hash"] = hashlib.sha256(self.prev + Registry.encode(rec, SCHEMA)).digest()
        rec["signature"] = priv.sign(rec["hash"])
        self.seq, self.prev = rec["auditSeq"], rec["hash"]
        return rec


class RetiredKey(unittest.TestCase):
    def setUp(self):
        self.k1, self.k2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        keys = {key_id(self.k1): (self.k1.public_key(), None, ROTATED_AT), key_id(self.k2): (self.k2.public_key(), ROTATED_AT, None)}
        self.ledger, self.chain = Ledger(keys), Chain()

    def test_retired_key_extends_no_chain(self):
        self.assertTrue(self.ledger.add(self.chain.append(self.k1, ROTATED_AT - 60_000), SCHEMA))
        self.assertTrue(self.ledger.add(self.chain.append(self.k2, ROTATED_AT + 60_000), SCHEMA))
        forged = self.chain.append(self.k1, ROTATED_AT + 7 * 86_400_000)
        self.assertFalse(self.ledger.add(forged, SCHEMA))
        self.assertIn("retired", self.ledger.by_hash[forged["hash"]]["why"])

    def test_no_back_dating(self):
        self.assertTrue(self.ledger.add(self.chain.append(self.k2, ROTATED_AT + 60_000), SCHEMA))
        forged = self.chain.append(self.k1, ROTATED_AT - 1)
        self.assertFalse(self.ledger.add(forged, SCHEMA))
        self.assertIn("back-dated", self.ledger.by_hash[forged["hash"]]["why"])


if __name__ == "__main__":
    unittest.main()
