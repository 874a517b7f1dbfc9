"""On call: the rotation, overrides, and pages with acknowledgement and escalation (Taber 1.04(i))."""
