"""Tags queries, one pair per language: definitions and references.

Each query follows the tree-sitter tags convention: `@name` is the identifier and
`@definition.KIND` / `@reference.KIND` the node it names. They are kept here (not read from
the grammar wheels' own tags.scm) because those differ in coverage between languages and
versions; owning them keeps every language's output comparable. Definitions and references
are separate queries so the definitions cursor can stop descending early (see
`LanguageSpec.def_depth`), which is most of the query cost on large files.
"""

from __future__ import annotations

PYTHON_DEFS = """
(module (expression_statement (assignment left: (identifier) @name) @definition.constant))
(class_definition name: (identifier) @name) @definition.class
(function_definition name: (identifier) @name) @definition.function
"""
PYTHON_REFS = """
(call function: (identifier) @name) @reference.call
(call function: (attribute attribute: (identifier) @name)) @reference.call
(attribute object: (identifier) @name) @reference.name
(import_from_statement name: (dotted_name (identifier) @name)) @reference.import
(import_from_statement
  name: (aliased_import name: (dotted_name (identifier) @name))) @reference.import
(class_definition superclasses: (argument_list (identifier) @name)) @reference.class
(type (identifier) @name) @reference.type
"""

_JS_DEFS_COMMON = """
(method_definition name: (property_identifier) @name) @definition.method
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(lexical_declaration (variable_declarator name: (identifier) @name
  value: [(arrow_function) (function_expression)]) @definition.function)
(variable_declaration (variable_declarator name: (identifier) @name
  value: [(arrow_function) (function_expression)]) @definition.function)
"""
_JS_REFS_COMMON = """
(call_expression function: (identifier) @name) @reference.call
(call_expression
  function: (member_expression property: (property_identifier) @name)) @reference.call
(new_expression constructor: (identifier) @name) @reference.class
(import_specifier name: (identifier) @name) @reference.import
(member_expression object: (identifier) @name) @reference.name
"""
JAVASCRIPT_DEFS = (
    _JS_DEFS_COMMON
    + """
(class_declaration name: (identifier) @name) @definition.class
"""
)
JAVASCRIPT_REFS = _JS_REFS_COMMON

TYPESCRIPT_DEFS = (
    _JS_DEFS_COMMON
    + """
(class_declaration name: (type_identifier) @name) @definition.class
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.type
(method_signature name: (property_identifier) @name) @definition.method
(function_signature name: (identifier) @name) @definition.function
"""
)
TYPESCRIPT_REFS = (
    _JS_REFS_COMMON
    + """
(type_identifier) @name @reference.type
"""
)

RUST_DEFS = """
(struct_item name: (type_identifier) @name) @definition.class
(enum_item name: (type_identifier) @name) @definition.class
(union_item name: (type_identifier) @name) @definition.class
(type_item name: (type_identifier) @name) @definition.type
(trait_item name: (type_identifier) @name) @definition.interface
(impl_item type: (type_identifier) @name) @definition.impl
(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function
(mod_item name: (identifier) @name) @definition.module
(macro_definition name: (identifier) @name) @definition.macro
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant
"""
RUST_REFS = """
(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
(call_expression function: (scoped_identifier name: (identifier) @name)) @reference.call
(macro_invocation macro: (identifier) @name) @reference.call
(type_identifier) @name @reference.type
"""

GO_DEFS = """
(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name) @definition.type
(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @definition.constant))
"""
GO_REFS = """
(call_expression function: (identifier) @name) @reference.call
(call_expression function: (selector_expression field: (field_identifier) @name)) @reference.call
(type_identifier) @name @reference.type
"""

JAVA_DEFS = """
(class_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.type
(record_declaration name: (identifier) @name) @definition.class
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.method
"""
JAVA_REFS = """
(method_invocation name: (identifier) @name) @reference.call
(object_creation_expression type: (type_identifier) @name) @reference.class
(type_identifier) @name @reference.type
"""

_C_DEFS_COMMON = """
(function_definition declarator: (function_declarator declarator: (identifier) @name))
  @definition.function
(function_definition declarator: (pointer_declarator
  declarator: (function_declarator declarator: (identifier) @name))) @definition.function
(declaration declarator: (function_declarator declarator: (identifier) @name))
  @definition.declaration
(struct_specifier name: (type_identifier) @name body: (_)) @definition.class
(union_specifier name: (type_identifier) @name body: (_)) @definition.class
(enum_specifier name: (type_identifier) @name body: (_)) @definition.type
(type_definition declarator: (type_identifier) @name) @definition.type
(preproc_def name: (identifier) @name) @definition.constant
(preproc_function_def name: (identifier) @name) @definition.macro
"""
_C_REFS_COMMON = """
(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
(type_identifier) @name @reference.type
"""
C_DEFS = _C_DEFS_COMMON
C_REFS = _C_REFS_COMMON

CPP_DEFS = (
    _C_DEFS_COMMON
    + """
(class_specifier name: (type_identifier) @name body: (_)) @definition.class
(namespace_definition name: (namespace_identifier) @name) @definition.module
(function_definition declarator: (function_declarator
  declarator: (qualified_identifier name: (identifier) @name))) @definition.method
(function_definition declarator: (function_declarator declarator: (qualified_identifier
  name: (qualified_identifier name: (identifier) @name)))) @definition.method
(function_definition declarator: (function_declarator
  declarator: (field_identifier) @name)) @definition.method
(field_declaration declarator: (function_declarator
  declarator: (field_identifier) @name)) @definition.declaration
"""
)
CPP_REFS = (
    _C_REFS_COMMON
    + """
(call_expression function: (qualified_identifier name: (identifier) @name)) @reference.call
"""
)
