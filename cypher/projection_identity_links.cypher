// Projection `identity_links` (ringwatch.graph.projections): every USES relationship, with the
// account and identifier types read back from the labels. Times as epoch milliseconds.
MATCH (account)-[uses:USES]->(identifier)
RETURN CASE
         // for each linked account type:
         WHEN account:{label} THEN '{type}'
         // end for
       END AS account_type,
       account.id AS account_id,
       CASE
         // for each identifier type:
         WHEN identifier:{label} THEN '{type}'
         // end for
       END AS identifier_type,
       identifier.id AS identifier,
       uses.events AS events,
       uses.first_seen.epochMillis AS first_seen_ms,
       uses.last_seen.epochMillis AS last_seen_ms
