// write_identity_links.cypher for links whose account named no node before the load began
// (ringwatch.graph.neo4j_ingest checked): such an account has no USES yet, so the link is CREATEd.
// Both ends exist already (the ingest CREATEd the missing ones first, ingest_nodes.cypher), so
// they are MATCHed on their indexed ids. Every row of $rows has the one account type and
// identifier type named by $account_type and $identifier_type: labels cannot be parameters, so
// each pair is a branch and only the one the parameters name runs, with both labels fixed
// (1.4x the per-row choice of a label among branches on the largest table).
// Returns how many links were created: fewer than the rows means an end was missing, and the
// ingest runs the batch again as write_identity_links.cypher, as it does when the driver retries.
// $rows: as write_identity_links.cypher's.
CALL () {
  // for each link type pair, joined by UNION ALL:
  WITH 1 AS one WHERE $account_type = '{account_type}' AND $identifier_type = '{identifier_type}'
  UNWIND $rows AS row
  MATCH (account:{account_label} {id: row.account_id})
  MATCH (identifier:{identifier_label} {id: row.identifier})
  CREATE (account)-[uses:USES]->(identifier)
  SET uses = row.props
  SET uses.first_seen = datetime({epochMillis: row.first_seen / 1000})
                        + duration({microseconds: row.first_seen % 1000}),
      uses.last_seen = CASE WHEN row.last_seen IS NULL THEN null
                            ELSE datetime({epochMillis: row.last_seen / 1000})
                                 + duration({microseconds: row.last_seen % 1000}) END
  RETURN count(uses) AS made
  // end for
}
RETURN sum(made) AS made
