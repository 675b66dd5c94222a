import AccessModel

/// The OpenAPI 3.1 document of the service, served at `/openapi.json`: every route, body,
/// response and error of SPEC §7, with the shapes of ``JSONShapes``. It is written by hand
/// rather than generated (README, "The HTTP service"); `ServerTests` check that every route the
/// router serves is in it and the other way round, and CI runs schemathesis against it.
enum OpenAPIDocument {
    /// Each documented path as segments (`{…}` matches any one segment) with its methods.
    static let routes: [(segments: [Substring], methods: [String])] = {
        guard case .object(let paths)? = (try? JSONValue.parse(json))?["paths"] else { return [] }
        return paths.map { path, item in
            (path.split(separator: "/"), (item.objectValue?.keys.map { $0.uppercased() } ?? []).sorted())
        }
    }()

    /// The methods the document gives for the path of a request (empty for an unknown path).
    static func methods(forPath path: String) -> [String] {
        let segments = path.split(separator: "/")
        var methods: Set<String> = []
        for route in routes where route.segments.count == segments.count {
            let matches = zip(route.segments, segments).allSatisfy { template, segment in
                template.hasPrefix("{") || template == segment
            }
            if matches { methods.formUnion(route.methods) }
        }
        return methods.sorted()
    }

    static let json = ##"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "accessledger",
  "version": "1",
  "description": "An event-sourced ledger of who may use which shared workspace, and since when (SPEC §7). Every /api/ route needs Authorization: Bearer SECRET (from `accessledger tokens create`)."
 },
 "servers": [
  {
   "url": "/"
  }
 ],
 "security": [
  {
   "bearer": []
  }
 ],
 "paths": {
  "/healthz": {
   "get": {
    "summary": "200 while the process runs",
    "operationId": "healthz",
    "security": [],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Status"
        }
       }
      }
     }
    }
   }
  },
  "/readyz": {
   "get": {
    "summary": "200 when the database answers and is migrated, else 503",
    "operationId": "readyz",
    "security": [],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Status"
        }
       }
      }
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    }
   }
  },
  "/metrics": {
   "get": {
    "summary": "Prometheus metrics",
    "operationId": "metrics",
    "security": [],
    "responses": {
     "200": {
      "description": "Prometheus text exposition",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     }
    }
   }
  },
  "/openapi.json": {
   "get": {
    "summary": "This document",
    "operationId": "openapi",
    "security": [],
    "responses": {
     "200": {
      "description": "OpenAPI 3.1",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/users": {
   "post": {
    "summary": "Create a user (users create)",
    "operationId": "createUser",
    "parameters": [
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "username": {
          "type": "string",
          "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
          "maxLength": 32
         },
         "service_account": {
          "type": "boolean"
         },
         "role": {
          "type": "string",
          "enum": [
           "owner",
           "user-admin",
           "auditor",
           "member"
          ]
         },
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [
         "username"
        ],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   },
   "get": {
    "summary": "Users (users list); members see only themselves",
    "operationId": "listUsers",
    "parameters": [],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/User"
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/users/{user}/suspend": {
   "post": {
    "summary": "Suspend a user",
    "operationId": "suspendUser",
    "parameters": [
     {
      "name": "user",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A username"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/users/{user}/activate": {
   "post": {
    "summary": "Activate a user",
    "operationId": "activateUser",
    "parameters": [
     {
      "name": "user",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A username"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/users/{user}/role": {
   "put": {
    "summary": "Change a user's site role",
    "operationId": "setUserRole",
    "parameters": [
     {
      "name": "user",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A username"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "role": {
          "type": "string",
          "enum": [
           "owner",
           "user-admin",
           "auditor",
           "member"
          ]
         },
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [
         "role"
        ],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/users/{user}": {
   "delete": {
    "summary": "Delete a user",
    "operationId": "deleteUser",
    "parameters": [
     {
      "name": "user",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A username"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/users/{user}/tokens": {
   "post": {
    "summary": "Create a token; the secret is shown once",
    "operationId": "createToken",
    "parameters": [
     {
      "name": "user",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A username"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "name": {
          "type": "string",
          "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
          "maxLength": 32
         },
         "lifetime": {
          "type": "string",
          "examples": [
           "8760h",
           "30d",
           "1h30m"
          ]
         },
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [
         "name",
         "lifetime"
        ],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created (a replayed Idempotency-Key answers secret: null: secrets are never stored)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/TokenCreated"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   },
   "get": {
    "summary": "A user's tokens (never their secrets)",
    "operationId": "listTokens",
    "parameters": [
     {
      "name": "user",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A username"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Token"
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/users/{user}/tokens/{token}": {
   "delete": {
    "summary": "Revoke a token",
    "operationId": "revokeToken",
    "parameters": [
     {
      "name": "user",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A username"
     },
     {
      "name": "token",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A token name"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/users/{user}/groups/sync": {
   "post": {
    "summary": "Record an IdP group sync (groups sync)",
    "operationId": "syncGroups",
    "parameters": [
     {
      "name": "user",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A username"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "groups": {
          "type": "array",
          "items": {
           "type": "string",
           "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
           "maxLength": 32
          }
         },
         "create_missing": {
          "type": "boolean"
         },
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [
         "groups"
        ],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/groups": {
   "post": {
    "summary": "Create a group",
    "operationId": "createGroup",
    "parameters": [
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "name": {
          "type": "string",
          "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
          "maxLength": 32
         },
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [
         "name"
        ],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   },
   "get": {
    "summary": "Groups (groups list)",
    "operationId": "listGroups",
    "parameters": [],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Group"
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/groups/{group}/members": {
   "patch": {
    "summary": "Add and remove members (groups edit)",
    "operationId": "editGroup",
    "parameters": [
     {
      "name": "group",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A group name"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "add": {
          "type": "array",
          "items": {
           "type": "string",
           "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
           "maxLength": 32
          }
         },
         "remove": {
          "type": "array",
          "items": {
           "type": "string",
           "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
           "maxLength": 32
          }
         },
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/groups/{group}": {
   "delete": {
    "summary": "Delete a group",
    "operationId": "deleteGroup",
    "parameters": [
     {
      "name": "group",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A group name"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/workspaces": {
   "post": {
    "summary": "Create a workspace (it starts running)",
    "operationId": "createWorkspace",
    "parameters": [
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "owner": {
          "type": "string",
          "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
          "maxLength": 32
         },
         "name": {
          "type": "string",
          "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
          "maxLength": 32
         },
         "template": {
          "type": "string",
          "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
          "maxLength": 32
         },
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [
         "owner",
         "name",
         "template"
        ],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   },
   "get": {
    "summary": "Workspaces (list --search); members see only what they own or can reach",
    "operationId": "listWorkspaces",
    "parameters": [
     {
      "name": "q",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "The search grammar of list --search"
     },
     {
      "name": "at",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": "Answer as of this time (RFC 3339)."
     },
     {
      "name": "at_position",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      },
      "description": "Answer as of this position of the log."
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/WorkspaceListing"
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/workspaces/{owner}/{name}/start": {
   "post": {
    "summary": "Start",
    "operationId": "startWorkspace",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's owner"
     },
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's name"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/workspaces/{owner}/{name}/stop": {
   "post": {
    "summary": "Stop",
    "operationId": "stopWorkspace",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's owner"
     },
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's name"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/workspaces/{owner}/{name}/restart": {
   "post": {
    "summary": "Restart (pending revocations end)",
    "operationId": "restartWorkspace",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's owner"
     },
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's name"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/workspaces/{owner}/{name}/rename": {
   "post": {
    "summary": "Rename",
    "operationId": "renameWorkspace",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's owner"
     },
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's name"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "name": {
          "type": "string",
          "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
          "maxLength": 32
         },
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [
         "name"
        ],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/workspaces/{owner}/{name}": {
   "delete": {
    "summary": "Delete",
    "operationId": "deleteWorkspace",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's owner"
     },
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's name"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/workspaces/{owner}/{name}/acl": {
   "get": {
    "summary": "Sharing status (sharing status -o json)",
    "operationId": "sharingStatus",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's owner"
     },
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's name"
     },
     {
      "name": "at",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": "Answer as of this time (RFC 3339)."
     },
     {
      "name": "at_position",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      },
      "description": "Answer as of this position of the log."
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SharingStatus"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   },
   "patch": {
    "summary": "Share and remove as one command (Coder's body shape; \"\" removes)",
    "operationId": "patchACL",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's owner"
     },
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's name"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "user_roles": {
          "type": "object",
          "additionalProperties": {
           "type": "string",
           "enum": [
            "use",
            "admin",
            ""
           ]
          }
         },
         "group_roles": {
          "type": "object",
          "additionalProperties": {
           "type": "string",
           "enum": [
            "use",
            "admin",
            ""
           ]
          }
         },
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/workspaces/{owner}/{name}/rotate": {
   "post": {
    "summary": "Remove, add and restart as one command",
    "operationId": "rotateWorkspace",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's owner"
     },
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "The workspace's name"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "out": {
          "type": "string",
          "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
          "maxLength": 32
         },
         "in": {
          "type": "string",
          "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*(:(use|admin))?$"
         },
         "restart": {
          "type": "boolean"
         },
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [
         "in"
        ],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/audit/log": {
   "get": {
    "summary": "The log (audit log -o json); owner, user-admin, auditor",
    "operationId": "auditLog",
    "parameters": [
     {
      "name": "workspace",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "OWNER/NAME"
     },
     {
      "name": "user",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "Events about this user"
     },
     {
      "name": "actor",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "By this actor"
     },
     {
      "name": "type",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "user_created",
        "user_role_changed",
        "user_suspended",
        "user_activated",
        "user_deleted",
        "token_created",
        "token_revoked",
        "group_created",
        "group_deleted",
        "group_members_added",
        "group_members_removed",
        "group_synced",
        "workspace_created",
        "workspace_started",
        "workspace_stopped",
        "workspace_restarted",
        "workspace_renamed",
        "workspace_deleted",
        "workspace_shared",
        "workspace_unshared",
        "webhook_added",
        "webhook_removed"
       ]
      },
      "description": "Of this type"
     },
     {
      "name": "token",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Appended with this token (USER/TOKEN)"
     },
     {
      "name": "since",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": "At or after"
     },
     {
      "name": "until",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": "At or before"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Event"
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/audit/history": {
   "get": {
    "summary": "Intervals of access (audit history); Accept: text/csv gives CSV",
    "operationId": "auditHistory",
    "parameters": [
     {
      "name": "workspace",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "OWNER/NAME"
     },
     {
      "name": "user",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A user"
     },
     {
      "name": "since",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": "Intervals still open at or after"
     },
     {
      "name": "until",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": "Intervals begun at or before"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Interval"
         }
        }
       },
       "text/csv": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/events": {
   "get": {
    "summary": "Events after a position, in log order; with wait, a long poll",
    "operationId": "events",
    "parameters": [
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      },
      "description": "Events after this position (default 0)"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000
      },
      "description": "At most this many (default 100)"
     },
     {
      "name": "wait",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0,
       "maximum": 60
      },
      "description": "Seconds to wait for an event when there is none yet"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/EventPage"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/events/stream": {
   "get": {
    "summary": "Server-sent events: each event as id/event/data, a comment every 15 s; Last-Event-ID resumes",
    "operationId": "eventStream",
    "parameters": [
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      },
      "description": "Events after this position (default 0)"
     },
     {
      "name": "Last-Event-ID",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "pattern": "^[0-9]+$"
      },
      "description": "Resume after this position"
     }
    ],
    "responses": {
     "200": {
      "description": "text/event-stream",
      "content": {
       "text/event-stream": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/pending-revocations": {
   "get": {
    "summary": "The restart queue, oldest first",
    "operationId": "pendingRevocations",
    "parameters": [
     {
      "name": "at",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": "Answer as of this time (RFC 3339)."
     },
     {
      "name": "at_position",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      },
      "description": "Answer as of this position of the log."
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/PendingRevocation"
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/webhooks": {
   "get": {
    "summary": "Webhooks with cursor, lag and last error",
    "operationId": "listWebhooks",
    "parameters": [],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Webhook"
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   },
   "post": {
    "summary": "Add a webhook; the signing secret is shown once",
    "operationId": "addWebhook",
    "parameters": [
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "name": {
          "type": "string",
          "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
          "maxLength": 32
         },
         "url": {
          "type": "string",
          "pattern": "^[hH][tT][tT][pP][sS]?://"
         },
         "types": {
          "type": "array",
          "items": {
           "type": "string",
           "enum": [
            "user_created",
            "user_role_changed",
            "user_suspended",
            "user_activated",
            "user_deleted",
            "token_created",
            "token_revoked",
            "group_created",
            "group_deleted",
            "group_members_added",
            "group_members_removed",
            "group_synced",
            "workspace_created",
            "workspace_started",
            "workspace_stopped",
            "workspace_restarted",
            "workspace_renamed",
            "workspace_deleted",
            "workspace_shared",
            "workspace_unshared",
            "webhook_added",
            "webhook_removed"
           ]
          }
         },
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [
         "name",
         "url"
        ],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created (a replayed Idempotency-Key answers secret: null)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/WebhookAdded"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/webhooks/{webhook}": {
   "delete": {
    "summary": "Remove a webhook",
    "operationId": "removeWebhook",
    "parameters": [
     {
      "name": "webhook",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A webhook name"
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[\\x20-\\x7E]+$"
      },
      "description": "Sent again with the same key by the same token within 24 hours, after the first succeeded, answers the first answer again and appends nothing; the same key with another request is 409."
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "reason": {
          "type": "string",
          "description": "Why, recorded on the events as --reason is."
         }
        },
        "required": [],
        "additionalProperties": false
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mutation"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/audit/report": {
   "get": {
    "summary": "The audit report (SPEC §9): one self-contained HTML page",
    "operationId": "auditReport",
    "parameters": [
     {
      "name": "workspace",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "OWNER/NAME"
     },
     {
      "name": "user",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "pattern": "^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$",
       "maxLength": 32
      },
      "description": "A user"
     },
     {
      "name": "since",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": "From"
     },
     {
      "name": "until",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": "Until"
     }
    ],
    "responses": {
     "200": {
      "description": "text/html",
      "content": {
       "text/html": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  },
  "/api/v1/verify": {
   "get": {
    "summary": "Verify the hash chain (200 with ok: false when it fails)",
    "operationId": "verify",
    "parameters": [
     {
      "name": "expect_head",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "pattern": "^[0-9]+:[0-9a-fA-F]{64}$"
      },
      "description": "A head printed by an earlier verify"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/VerifyReport"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     },
     "500": {
      "$ref": "#/components/responses/E500"
     }
    }
   }
  }
 },
 "components": {
  "responses": {
   "E503": {
    "description": "unavailable: the database cannot be reached (Retry-After)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    },
    "headers": {
     "Retry-After": {
      "schema": {
       "type": "string"
      }
     }
    }
   },
   "E400": {
    "description": "invalid_input: malformed JSON, a wrong type, a missing or unknown field, a bad name or value",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "E401": {
    "description": "unauthenticated: missing, malformed, unknown, revoked or expired token, or its user is not active",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    },
    "headers": {
     "WWW-Authenticate": {
      "schema": {
       "type": "string"
      }
     }
    }
   },
   "E403": {
    "description": "not_permitted: refused by the rules",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "E404": {
    "description": "not_found: an unknown (or, for members, invisible) user, group, token or workspace named in the path",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "E409": {
    "description": "conflict: a concurrent change, or an Idempotency-Key used for another request",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "E413": {
    "description": "payload_too_large: a body over 1 MiB",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "E500": {
    "description": "internal",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   }
  },
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "description": "A secret printed by `accessledger tokens create` (al_ and 64 hex digits)"
   }
  },
  "schemas": {
   "Error": {
    "type": "object",
    "properties": {
     "error": {
      "type": "object",
      "properties": {
       "code": {
        "type": "string",
        "enum": [
         "invalid_input",
         "unauthenticated",
         "not_permitted",
         "not_found",
         "conflict",
         "payload_too_large",
         "unavailable",
         "internal"
        ]
       },
       "message": {
        "type": "string"
       }
      },
      "required": [
       "code",
       "message"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "error"
    ],
    "additionalProperties": false
   },
   "Event": {
    "type": "object",
    "properties": {
     "position": {
      "type": "integer",
      "minimum": 1
     },
     "time": {
      "type": "string",
      "format": "date-time"
     },
     "type": {
      "type": "string"
     },
     "stream": {
      "type": "string"
     },
     "actor": {
      "type": "string"
     },
     "token": {
      "oneOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "reason": {
      "oneOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "data": {
      "type": "object"
     },
     "hash": {
      "type": "string",
      "pattern": "^[0-9a-f]{64}$"
     }
    },
    "required": [
     "position",
     "time",
     "type",
     "stream",
     "actor",
     "token",
     "reason",
     "data",
     "hash"
    ],
    "additionalProperties": false
   },
   "Mutation": {
    "type": "object",
    "properties": {
     "events": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Event"
      }
     },
     "restart_required": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    },
    "required": [
     "events",
     "restart_required"
    ],
    "additionalProperties": false
   },
   "User": {
    "type": "object",
    "properties": {
     "username": {
      "type": "string"
     },
     "kind": {
      "type": "string",
      "enum": [
       "human",
       "service_account"
      ]
     },
     "role": {
      "type": "string",
      "enum": [
       "owner",
       "user-admin",
       "auditor",
       "member"
      ]
     },
     "status": {
      "type": "string",
      "enum": [
       "active",
       "suspended",
       "deleted"
      ]
     }
    },
    "required": [
     "username",
     "kind",
     "role",
     "status"
    ],
    "additionalProperties": false
   },
   "Group": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "source": {
      "type": "string",
      "enum": [
       "manual",
       "idp",
       "builtin"
      ]
     },
     "member_count": {
      "type": "integer",
      "minimum": 0
     },
     "members": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    },
    "required": [
     "name",
     "source",
     "member_count",
     "members"
    ],
    "additionalProperties": false
   },
   "Token": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "user": {
      "type": "string"
     },
     "created": {
      "type": "string",
      "format": "date-time"
     },
     "expires": {
      "type": "string",
      "format": "date-time"
     },
     "revoked": {
      "oneOf": [
       {
        "type": "string",
        "format": "date-time"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "required": [
     "name",
     "user",
     "created",
     "expires",
     "revoked"
    ],
    "additionalProperties": false
   },
   "TokenCreated": {
    "type": "object",
    "properties": {
     "token": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/Token"
       },
       {
        "type": "null"
       }
      ]
     },
     "secret": {
      "oneOf": [
       {
        "type": "string",
        "pattern": "^al_[0-9a-f]{64}$"
       },
       {
        "type": "null"
       }
      ]
     },
     "events": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Event"
      }
     }
    },
    "required": [
     "token",
     "secret",
     "events"
    ],
    "additionalProperties": false
   },
   "WorkspaceListing": {
    "type": "object",
    "properties": {
     "workspace": {
      "type": "string"
     },
     "owner": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "status": {
      "type": "string",
      "enum": [
       "running",
       "stopped"
      ]
     },
     "shared": {
      "type": "boolean"
     }
    },
    "required": [
     "workspace",
     "owner",
     "name",
     "status",
     "shared"
    ],
    "additionalProperties": false
   },
   "AsOf": {
    "type": "object",
    "properties": {
     "position": {
      "type": "integer",
      "minimum": 0
     },
     "time": {
      "oneOf": [
       {
        "type": "string",
        "format": "date-time"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "required": [
     "position",
     "time"
    ],
    "additionalProperties": false
   },
   "SharingStatus": {
    "type": "object",
    "properties": {
     "workspace": {
      "type": "string"
     },
     "status": {
      "type": "string",
      "enum": [
       "running",
       "stopped",
       "deleted"
      ]
     },
     "as_of": {
      "$ref": "#/components/schemas/AsOf"
     },
     "acl": {
      "type": "object",
      "properties": {
       "users": {
        "type": "array",
        "items": {
         "type": "object",
         "properties": {
          "username": {
           "type": "string"
          },
          "role": {
           "type": "string",
           "enum": [
            "use",
            "admin"
           ]
          }
         },
         "required": [
          "username",
          "role"
         ],
         "additionalProperties": false
        }
       },
       "groups": {
        "type": "array",
        "items": {
         "type": "object",
         "properties": {
          "name": {
           "type": "string"
          },
          "role": {
           "type": "string",
           "enum": [
            "use",
            "admin"
           ]
          },
          "member_count": {
           "type": "integer",
           "minimum": 0
          }
         },
         "required": [
          "name",
          "role",
          "member_count"
         ],
         "additionalProperties": false
        }
       }
      },
      "required": [
       "users",
       "groups"
      ],
      "additionalProperties": false
     },
     "access": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "username": {
         "type": "string"
        },
        "role": {
         "oneOf": [
          {
           "type": "string",
           "enum": [
            "use",
            "admin"
           ]
          },
          {
           "type": "null"
          }
         ]
        },
        "live_role": {
         "oneOf": [
          {
           "type": "string",
           "enum": [
            "use",
            "admin"
           ]
          },
          {
           "type": "null"
          }
         ]
        },
        "via": {
         "type": "array",
         "items": {
          "type": "string"
         }
        },
        "state": {
         "type": "string",
         "enum": [
          "active",
          "pending_revocation"
         ]
        }
       },
       "required": [
        "username",
        "role",
        "live_role",
        "via",
        "state"
       ],
       "additionalProperties": false
      }
     },
     "restart_required": {
      "type": "boolean"
     }
    },
    "required": [
     "workspace",
     "status",
     "as_of",
     "acl",
     "access",
     "restart_required"
    ],
    "additionalProperties": false
   },
   "Cause": {
    "type": "object",
    "properties": {
     "actor": {
      "type": "string"
     },
     "type": {
      "type": "string"
     },
     "reason": {
      "oneOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "required": [
     "actor",
     "type",
     "reason"
    ],
    "additionalProperties": false
   },
   "Interval": {
    "type": "object",
    "properties": {
     "workspace": {
      "type": "string"
     },
     "username": {
      "type": "string"
     },
     "role": {
      "oneOf": [
       {
        "type": "string",
        "enum": [
         "use",
         "admin"
        ]
       },
       {
        "type": "null"
       }
      ]
     },
     "live_role": {
      "oneOf": [
       {
        "type": "string",
        "enum": [
         "use",
         "admin"
        ]
       },
       {
        "type": "null"
       }
      ]
     },
     "state": {
      "type": "string",
      "enum": [
       "active",
       "pending_revocation"
      ]
     },
     "via": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "from": {
      "$ref": "#/components/schemas/AsOf"
     },
     "to": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/AsOf"
       },
       {
        "type": "null"
       }
      ]
     },
     "started_by": {
      "$ref": "#/components/schemas/Cause"
     },
     "ended_by": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/Cause"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "required": [
     "workspace",
     "username",
     "role",
     "live_role",
     "state",
     "via",
     "from",
     "to",
     "started_by",
     "ended_by"
    ],
    "additionalProperties": false
   },
   "VerifyReport": {
    "type": "object",
    "properties": {
     "ok": {
      "type": "boolean"
     },
     "events": {
      "type": "integer",
      "minimum": 0
     },
     "head": {
      "type": "object",
      "properties": {
       "position": {
        "type": "integer",
        "minimum": 0
       },
       "hash": {
        "type": "string",
        "pattern": "^[0-9a-f]{64}$"
       }
      },
      "required": [
       "position",
       "hash"
      ],
      "additionalProperties": false
     },
     "first_bad_position": {
      "oneOf": [
       {
        "type": "integer",
        "minimum": 0
       },
       {
        "type": "null"
       }
      ]
     },
     "problem": {
      "oneOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "required": [
     "ok",
     "events",
     "head",
     "first_bad_position",
     "problem"
    ],
    "additionalProperties": false
   },
   "Status": {
    "type": "object",
    "properties": {
     "status": {
      "type": "string"
     }
    },
    "required": [
     "status"
    ],
    "additionalProperties": false
   },
   "EventPage": {
    "type": "object",
    "properties": {
     "events": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Event"
      }
     },
     "head": {
      "type": "integer",
      "minimum": 0
     }
    },
    "required": [
     "events",
     "head"
    ],
    "additionalProperties": false
   },
   "PendingRevocation": {
    "type": "object",
    "properties": {
     "workspace": {
      "type": "string"
     },
     "users": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "username": {
         "type": "string"
        },
        "live_role": {
         "type": "string",
         "enum": [
          "use",
          "admin"
         ]
        },
        "since": {
         "$ref": "#/components/schemas/AsOf"
        }
       },
       "required": [
        "username",
        "live_role",
        "since"
       ],
       "additionalProperties": false
      }
     },
     "oldest": {
      "$ref": "#/components/schemas/AsOf"
     }
    },
    "required": [
     "workspace",
     "users",
     "oldest"
    ],
    "additionalProperties": false
   },
   "Webhook": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "url": {
      "type": "string"
     },
     "types": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "cursor": {
      "type": "integer",
      "minimum": 0
     },
     "lag": {
      "type": "integer",
      "minimum": 0
     },
     "last_error": {
      "oneOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "attempts": {
      "type": "integer",
      "minimum": 0
     },
     "last_attempt_at": {
      "oneOf": [
       {
        "type": "string",
        "format": "date-time"
       },
       {
        "type": "null"
       }
      ]
     },
     "delivered_at": {
      "oneOf": [
       {
        "type": "string",
        "format": "date-time"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "required": [
     "name",
     "url",
     "types",
     "cursor",
     "lag",
     "last_error",
     "attempts",
     "last_attempt_at",
     "delivered_at"
    ],
    "additionalProperties": false
   },
   "WebhookAdded": {
    "type": "object",
    "properties": {
     "webhook": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/Webhook"
       },
       {
        "type": "null"
       }
      ]
     },
     "secret": {
      "oneOf": [
       {
        "type": "string",
        "pattern": "^whsec_[0-9a-f]{64}$"
       },
       {
        "type": "null"
       }
      ]
     },
     "events": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Event"
      }
     }
    },
    "required": [
     "webhook",
     "secret",
     "events"
    ],
    "additionalProperties": false
   }
  }
 }
}
"""##
}
