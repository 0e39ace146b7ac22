// write_identity_links.cypher for links whose account named no node before the load began
// (ringwatch.graph.neo4j_ingest checked): such an account has no USES yet, so the link is
// CREATEd; both ends are still MERGEd (the account may have come with this load's creators).
// Same $rows; run again as write_identity_links.cypher if the driver retries it.
UNWIND $rows AS row
CALL (row) {
  // for each linked account type, joined by UNION ALL:
  WITH row WHERE row.account_type = '{type}'
  MERGE (account:{label} {id: row.account_id}) RETURN account
  // end for
}
CALL (row) {
  // for each identifier type, joined by UNION ALL:
  WITH row WHERE row.identifier_type = '{type}'
  MERGE (identifier:{label} {id: row.identifier}) RETURN identifier
  // end for
}
CREATE (account)-[uses:USES]->(identifier)
SET uses = row.props
SET uses.first_seen = datetime({epochMillis: row.first_seen / 1000})
                      + duration({microseconds: row.first_seen % 1000}),
    uses.last_seen = CASE WHEN row.last_seen IS NULL THEN null
                          ELSE datetime({epochMillis: row.last_seen / 1000})
                               + duration({microseconds: row.last_seen % 1000}) END
