// Table read for the projections (ringwatch.graph.neo4j_projections): every USES relationship,
// with the account and identifier types read back from the labels, as one row of columns
// (lists). Missing events are 0; times are epoch microseconds, $missing when absent.
// Read in $parts parts (this is part $part): two sessions read them at once, and no part's
// lists fill the server's heap as a whole read of ten million links would.
MATCH (account)-[uses:USES]->(identifier)
WHERE id(uses) % $parts = $part
WITH account, identifier, uses, uses.first_seen AS first_seen, uses.last_seen AS last_seen
RETURN collect(CASE
         // for each linked account type:
         WHEN account:{label} THEN '{type}'
         // end for
       END) AS account_type,
       collect(account.id) AS account_id,
       collect(CASE
         // for each identifier type:
         WHEN identifier:{label} THEN '{type}'
         // end for
       END) AS identifier_type,
       collect(identifier.id) AS identifier,
       collect(coalesce(uses.events, 0)) AS events,
       collect(coalesce(first_seen.epochMillis * 1000 + first_seen.microsecond % 1000, $missing))
         AS first_seen,
       collect(coalesce(last_seen.epochMillis * 1000 + last_seen.microsecond % 1000, $missing))
         AS last_seen
