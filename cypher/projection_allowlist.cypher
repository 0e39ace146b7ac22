// Projection `allowlist` (ringwatch.graph.projections): identifiers known to be shared
// legitimately. Times as epoch milliseconds.
MATCH (entry:AllowlistEntry)
RETURN entry.identifier_type AS identifier_type,
       entry.identifier AS identifier,
       entry.owner AS owner,
       entry.reason AS reason,
       entry.expires_at.epochMillis AS expires_at_ms
