// Upsert a batch of allowlist entries, keyed by identifier_type|identifier.
// Times arrive as epoch microseconds.
// $rows: [{props: {id, identifier_type, identifier, owner, reason, ...extra columns}, expires_at: int}]
UNWIND $rows AS row
MERGE (entry:AllowlistEntry {id: row.props.id})
SET entry = row.props
SET entry.expires_at = datetime({epochMillis: row.expires_at / 1000})
                       + duration({microseconds: row.expires_at % 1000})
