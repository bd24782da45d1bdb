"""Name tables shipped with padis synth (surnames, given names, minority names, homophones)."""
