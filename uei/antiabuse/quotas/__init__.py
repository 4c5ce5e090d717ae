"""Search quotas: GCRA, the rules a policy names, the quota service (BAP checks and relay
meters) and its HTTP route."""
