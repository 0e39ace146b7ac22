// Append one reviewer's verdict, numbered by the verdicts sequence (1, 2, 3, ... in commit order),
// as the audit log numbers its entries: the increment reads the value it writes, so concurrent
// appends queue on the sequence node's lock. Verdicts are only ever created, never changed, and
// `load --replace` keeps them (clear_snapshot.cypher).
// $doc: str (the verdict as JSON), $ring_id: str, $kind: str
MERGE (sequence:Sequence {name: 'verdicts'})
SET sequence.value = coalesce(sequence.value, 0) + 1
WITH sequence.value AS seq
CREATE (verdict:Verdict {seq: seq, doc: $doc, ring_id: $ring_id, kind: $kind})
RETURN seq
