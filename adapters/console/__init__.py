"""Console (terminal) chat front end."""
