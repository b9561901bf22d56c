"""Internal work processes (BPMN), their instances and steps."""
