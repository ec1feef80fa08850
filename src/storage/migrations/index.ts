/**
 * The ordered list of schema migrations. Each file is embedded as text at build time; append new
 * files at the end, never edit or reorder a released one.
 */
import m001 from "./001-accounts.sql" with { type: "text" };
import m002 from "./002-rooms.sql" with { type: "text" };
import m003 from "./003-sync.sql" with { type: "text" };
import m004 from "./004-federation.sql" with { type: "text" };
import m005 from "./005-rooms-event-txn.sql" with { type: "text" };
import m006 from "./006-appservices.sql" with { type: "text" };
import m007 from "./007-openid-tokens.sql" with { type: "text" };
import m008 from "./008-key-documents-by-key.sql" with { type: "text" };
import m009 from "./009-media.sql" with { type: "text" };
import m010 from "./010-push.sql" with { type: "text" };
import m011 from "./011-e2ee.sql" with { type: "text" };
import m012 from "./012-reports.sql" with { type: "text" };
import m013 from "./013-delayed-events.sql" with { type: "text" };
import m014 from "./014-admin.sql" with { type: "text" };
import m015 from "./015-relations.sql" with { type: "text" };
import m016 from "./016-search.sql" with { type: "text" };
import m017 from "./017-user-directory.sql" with { type: "text" };
import m018 from "./018-ignored-users.sql" with { type: "text" };
import m019 from "./019-media-quarantine.sql" with { type: "text" };
import m020 from "./020-sliding-sync.sql" with { type: "text" };
import m021 from "./021-events-delay-id.sql" with { type: "text" };
import m022 from "./022-appservice-room-lists.sql" with { type: "text" };
import m023 from "./023-drop-event-edges.sql" with { type: "text" };
import m024 from "./024-push-events-thread-index.sql" with { type: "text" };

export const migrations: readonly string[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009, m010, m011, m012, m013, m014, m015, m016, m017, m018, m019, m020, m021, m022, m023, m024];
