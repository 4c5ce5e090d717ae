"""Attacks on the service, each performed end to end over HTTP; one test per finding."""
