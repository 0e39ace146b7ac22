// Every audit entry, oldest first.
MATCH (entry:AuditEntry)
RETURN entry.seq AS seq, entry.doc AS doc
ORDER BY entry.seq
