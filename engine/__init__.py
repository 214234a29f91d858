"""Runs Councillor Support's BPMN diagrams durably: process model versions, instances, the open-task
projection, optimistic locking, the audit chain and the sandbox. The only package that imports
SpiffWorkflow; it knows nothing of Flask."""
