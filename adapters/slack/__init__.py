"""The Slack front end: Block Kit rendering, the Web API messenger, the bolt app."""
