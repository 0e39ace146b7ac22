// Table read for the projections (ringwatch.graph.neo4j_projections): identifiers known to be
// shared legitimately, as one row of columns (lists). Times are epoch microseconds, $missing
// when absent.
MATCH (entry:AllowlistEntry)
WITH entry, entry.expires_at AS expires_at
RETURN collect(coalesce(entry.identifier_type, '')) AS identifier_type,
       collect(coalesce(entry.identifier, '')) AS identifier,
       collect(coalesce(entry.owner, '')) AS owner,
       collect(coalesce(entry.reason, '')) AS reason,
       collect(coalesce(expires_at.epochMillis * 1000 + expires_at.microsecond % 1000, $missing))
         AS expires_at
