"""The screening questionnaire ("do you get every payment?"): content in the tree, a pure flow, its checks."""
