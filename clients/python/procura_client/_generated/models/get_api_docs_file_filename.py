from enum import StrEnum


class GetApiDocsFileFilename(StrEnum):
    FAVICON_16X16_PNG = "favicon-16x16.png"
    FAVICON_32X32_PNG = "favicon-32x32.png"
    INDEX_CSS = "index.css"
    LICENSE = "LICENSE"
    OAUTH2_REDIRECT_HTML = "oauth2-redirect.html"
    SWAGGER_EDITOR_BUNDLE_JS = "swagger-editor-bundle.js"
    SWAGGER_EDITOR_BUNDLE_JS_MAP = "swagger-editor-bundle.js.map"
    SWAGGER_EDITOR_CSS = "swagger-editor.css"
    SWAGGER_EDITOR_CSS_MAP = "swagger-editor.css.map"
    SWAGGER_EDITOR_ES_BUNDLE_CORE_JS = "swagger-editor-es-bundle-core.js"
    SWAGGER_EDITOR_ES_BUNDLE_CORE_JS_MAP = "swagger-editor-es-bundle-core.js.map"
    SWAGGER_EDITOR_ES_BUNDLE_JS = "swagger-editor-es-bundle.js"
    SWAGGER_EDITOR_ES_BUNDLE_JS_MAP = "swagger-editor-es-bundle.js.map"
    SWAGGER_EDITOR_JS = "swagger-editor.js"
    SWAGGER_EDITOR_JS_MAP = "swagger-editor.js.map"
    SWAGGER_EDITOR_STANDALONE_PRESET_JS = "swagger-editor-standalone-preset.js"
    SWAGGER_EDITOR_STANDALONE_PRESET_JS_MAP = "swagger-editor-standalone-preset.js.map"
    SWAGGER_INITIALIZER_JS = "swagger-initializer.js"
    SWAGGER_UI_BUNDLE_JS = "swagger-ui-bundle.js"
    SWAGGER_UI_CSS = "swagger-ui.css"
    SWAGGER_UI_ES_BUNDLE_CORE_JS = "swagger-ui-es-bundle-core.js"
    SWAGGER_UI_ES_BUNDLE_JS = "swagger-ui-es-bundle.js"
    SWAGGER_UI_JS = "swagger-ui.js"
    SWAGGER_UI_STANDALONE_PRESET_JS = "swagger-ui-standalone-preset.js"

    def __str__(self) -> str:
        return str(self.value)
