//! STIX patterning (see module docs inside).
