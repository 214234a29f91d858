"""The web front end: a Flask app on the GOV.UK Design System where councillors report incidents and
officers work their tasks. It reaches the engine only through `engine.service.WorkflowService`."""
