// Append one audit entry, numbered by the audit sequence: seq 1, 2, 3, ... in commit order, no
// gaps, no repeats. MERGE finds the sequence node through its unique constraint, and the
// increment reads the value it writes (a direct dependency), so Neo4j locks the node before
// reading it: concurrent appends queue on that lock. Entries are only ever created, never
// changed. A retried transaction was rolled back first, so it never appends twice.
// $doc: str (the entry as JSON), $audit_id: str|null (null: derived from seq when read)
MERGE (sequence:Sequence {name: 'audit'})
SET sequence.value = coalesce(sequence.value, 0) + 1
WITH sequence.value AS seq
CREATE (entry:AuditEntry {seq: seq, doc: $doc})
SET entry.audit_id = $audit_id
RETURN seq
