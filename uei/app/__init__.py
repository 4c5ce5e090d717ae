"""The composition root: the only package that imports more than one domain. The app factory
and its lifespan, who may call each route, the error -> HTTP/NACK table, response signing,
request metrics and logs, health, settings, the composed policy, and the CLI."""
