// Upsert a batch of rings, keyed by ring_id, and replace each ring's HAS_MEMBER relationships
// with ones to its current members: an existing node of the member's label and id, else a new one.
// $rings: [{props: {ring_id, kind, score, status, first_detected, last_run_id, doc},
//           members: [{type, id}]}]   (member types: the domain's type table, one branch each)
UNWIND $rings AS ring
MERGE (g:Ring {ring_id: ring.props.ring_id})
SET g = ring.props
WITH g, ring
CALL (g) {
  MATCH (g)-[old:HAS_MEMBER]->()
  DELETE old
}
WITH g, ring
UNWIND ring.members AS member
CALL (member) {
  // for each member type, joined by UNION ALL:
  WITH member WHERE member.type = '{type}'
  MERGE (node:{label} {id: member.id}) RETURN node
  // end for
}
MERGE (g)-[:HAS_MEMBER]->(node)
