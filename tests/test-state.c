/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-state.c: the persisted state: round trip, the two files and what
 * is written when, reading the single-file format of version 1, and
 * surviving a crash between the two writes, a lost or corrupt desired.json
 * and a corrupt state.json without crashing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "fleet-test-utils.h"

#define DOC                                                                                 \
  "{\"generation\":4,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"           \
  "\"services\":[{\"name\":\"web\",\"image\":\"img\"}]}}}}"
#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static FleetState *
make_state (void)
{
  FleetState *state = fleet_state_new ();
  g_autoptr(FleetDocument) doc = fleet_test_document (DOC);

  fleet_state_set_desired (state, doc);
  fleet_state_set_generation (state, 4);
  fleet_state_set_phase (state, "hello", FLEET_PHASE_FAILED, "pulling img: \"quoted\"\nnewline");
  fleet_state_record_container (state, "hello", "web", ID, "sha256:abc");
  fleet_state_set_last_event_at (state, "hello", "2026-11-27T12:00:01Z");
  return state;
}

static char *
path_in (const char *dir, const char *name)
{
  return g_build_filename (dir, name, NULL);
}

static void
write_file (const char *dir, const char *name, const char *contents)
{
  g_autofree char *path = path_in (dir, name);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *dir, const char *name)
{
  g_autofree char *path = path_in (dir, name);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* The inode: a file replaced atomically gets a new one. */
static guint64
inode_of (const char *dir, const char *name)
{
  g_autofree char *path = path_in (dir, name);
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_ino;
}

/* A file larger than a state file can be, without the disk space. */
static void
make_sparse_file (const char *path)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) 257 * 1024 * 1024), ==, 0);
  close (fd);
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (g_dir_read_name (d))
    n++;
  return n;
}

static void
test_round_trip (void)
{
  g_autoptr(FleetState) state = make_state ();
  g_autoptr(GBytes) bytes = fleet_state_serialize (state);
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetState) loaded = fleet_state_deserialize (bytes, fleet_state_get_desired (state)->canonical,
                                                          &error);
  const FleetDeploymentRecord *record;
  const FleetServiceRecord *service;
  g_autoptr(GBytes) again = NULL;
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  g_assert_no_error (error);
  g_assert_cmpint (fleet_state_get_generation (loaded), ==, 4);
  g_assert_true (fleet_document_equal (fleet_state_get_desired (loaded), fleet_state_get_desired (state)));
  record = fleet_state_lookup_deployment (loaded, "hello");
  g_assert_cmpint (record->phase, ==, FLEET_PHASE_FAILED);
  g_assert_cmpstr (record->last_error, ==, "pulling img: \"quoted\"\nnewline");
  g_assert_cmpstr (record->last_event_at, ==, "2026-11-27T12:00:01Z");
  service = fleet_deployment_record_lookup_service (record, "web");
  g_assert_cmpstr (service->container_id, ==, ID);
  g_assert_cmpstr (service->spec_digest, ==, "sha256:abc");
  g_assert_true (fleet_state_has_container_id (loaded, ID));
  again = fleet_state_serialize (loaded);
  g_assert_true (g_bytes_equal (bytes, again));

  /* the records are compact, and name the document without holding it */
  g_assert_null (strchr (text, '\n'));
  g_assert_null (strstr (text, "PodmanV0"));
  g_assert_nonnull (strstr (text, fleet_state_get_desired (state)->digest));
}

static void
test_save_load (void)
{
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autofree char *state_path = path_in (dir, FLEET_STATE_FILE_NAME);
  g_autofree char *desired_path = path_in (dir, FLEET_STATE_DESIRED_FILE_NAME);
  g_autoptr(FleetState) state = make_state ();
  g_autoptr(FleetState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *desired = NULL;
  GStatBuf st;

  g_assert_null (fleet_state_load (dir, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  g_assert_true (fleet_state_save (state, dir, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (state_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (desired_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  /* desired.json is the canonical document: its sha256 is the digest */
  desired = read_file (dir, FLEET_STATE_DESIRED_FILE_NAME);
  g_assert_cmpmem (desired, strlen (desired), g_bytes_get_data (fleet_state_get_desired (state)->canonical, NULL),
                   g_bytes_get_size (fleet_state_get_desired (state)->canonical));
  /* the save replaces, and leaves no temporary file behind */
  g_assert_true (fleet_state_save (state, dir, &error));
  g_assert_cmpuint (count_entries (dir), ==, 2);

  loaded = fleet_state_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fleet_state_get_generation (loaded), ==, 4);
  g_assert_true (fleet_document_equal (fleet_state_get_desired (loaded), fleet_state_get_desired (state)));
  g_assert_cmpint (fleet_state_lookup_deployment (loaded, "hello")->phase, ==,
                   FLEET_PHASE_FAILED);
  g_assert_cmpstr (fleet_deployment_record_lookup_service (
                     fleet_state_lookup_deployment (loaded, "hello"), "web")->container_id,
                   ==, ID);
  fleet_test_rm_rf (dir);
}

/* The document is written when it changes, not with every record; a
 * record that changes is appended to the journal, not written with all
 * the others into state.json. */
static void
test_document_written_once (void)
{
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autofree char *other = fleet_test_make_tmpdir ();
  g_autofree char *journal = path_in (dir, FLEET_STATE_JOURNAL_FILE_NAME);
  g_autoptr(FleetState) state = make_state ();
  g_autoptr(FleetState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  guint64 desired_ino, state_ino;

  g_assert_true (fleet_state_save (state, dir, &error));
  desired_ino = inode_of (dir, FLEET_STATE_DESIRED_FILE_NAME);
  state_ino = inode_of (dir, FLEET_STATE_FILE_NAME);
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));

  fleet_state_record_container (state, "hello", "web", ID2, "sha256:def");
  g_assert_true (fleet_state_save (state, dir, &error));
  g_assert_cmpuint (inode_of (dir, FLEET_STATE_DESIRED_FILE_NAME), ==, desired_ino);
  g_assert_cmpuint (inode_of (dir, FLEET_STATE_FILE_NAME), ==, state_ino);
  g_assert_true (g_file_test (journal, G_FILE_TEST_IS_REGULAR));

  /* the journal is read back: the change is there */
  loaded = fleet_state_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fleet_state_lookup_service (loaded, "hello", "web")->container_id, ==, ID2);
  g_assert_cmpstr (fleet_state_lookup_service (loaded, "hello", "web")->spec_digest, ==,
                   "sha256:def");
  g_clear_pointer (&loaded, fleet_state_free);

  /* compacting folds it into state.json */
  g_assert_true (fleet_state_compact (state, dir, &error));
  g_assert_cmpuint (inode_of (dir, FLEET_STATE_FILE_NAME), !=, state_ino);
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));

  /* nor after it was loaded from there */
  loaded = fleet_state_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fleet_state_lookup_service (loaded, "hello", "web")->container_id, ==, ID2);
  g_assert_true (fleet_state_save (loaded, dir, &error));
  g_assert_cmpuint (inode_of (dir, FLEET_STATE_DESIRED_FILE_NAME), ==, desired_ino);

  /* a new document is written, and so is the document in another directory */
  {
    g_autoptr(FleetDocument) next = fleet_test_document ("{\"generation\":5,\"deployments\":{}}");

    fleet_state_set_desired (loaded, next);
  }
  g_assert_true (fleet_state_save (loaded, dir, &error));
  g_assert_cmpuint (inode_of (dir, FLEET_STATE_DESIRED_FILE_NAME), !=, desired_ino);
  g_assert_true (fleet_state_save (loaded, other, &error));
  g_assert_cmpuint (count_entries (other), ==, 2);
  fleet_test_rm_rf (dir);
  fleet_test_rm_rf (other);
}

/* A journal that does not extend the state.json beside it (an older
 * release rewrote state.json, or the agent stopped between rewriting it
 * and removing the journal) is ignored; a last line cut short is too. */
static void
test_journal_mismatch_and_torn_tail (void)
{
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autofree char *journal = path_in (dir, FLEET_STATE_JOURNAL_FILE_NAME);
  g_autoptr(FleetState) state = make_state ();
  g_autoptr(FleetState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *torn = NULL;

  g_assert_true (fleet_state_save (state, dir, &error));
  fleet_state_record_container (state, "hello", "web", ID2, "sha256:def");
  g_assert_true (fleet_state_save (state, dir, &error));
  fleet_state_record_container (state, "hello", "web", ID, "sha256:123");
  g_assert_true (fleet_state_save (state, dir, &error));
  g_assert_true (g_file_get_contents (journal, &contents, NULL, NULL));

  /* the last entry cut in the middle: the one before it holds */
  torn = g_strndup (contents, strlen (contents) - 20);
  g_assert_true (g_file_set_contents (journal, torn, -1, NULL));
  loaded = fleet_state_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fleet_state_lookup_service (loaded, "hello", "web")->container_id, ==, ID2);
  g_clear_pointer (&loaded, fleet_state_free);

  /* state.json rewritten behind the journal's back: the journal is ignored */
  write_file (dir, FLEET_STATE_FILE_NAME,
              "{\"version\":2,\"generation\":4,\"deployments\":{}}");
  g_assert_true (g_file_set_contents (journal, contents, -1, NULL));
  loaded = fleet_state_load (dir, &error);
  g_assert_no_error (error);
  g_assert_null (fleet_state_lookup_service (loaded, "hello", "web"));
  fleet_test_rm_rf (dir);
}

/* A state.json of a newer format is refused, and left as it is: a
 * downgrade of the package never destroys the records. */
static void
test_newer_version_refused (void)
{
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autofree char *path = path_in (dir, FLEET_STATE_FILE_NAME);
  static const char newer[] = "{\"version\":3,\"generation\":4,\"deployments\":{}}";
  g_autoptr(FleetState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;

  write_file (dir, FLEET_STATE_FILE_NAME, newer);
  loaded = fleet_state_load (dir, &error);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_UNSUPPORTED);
  g_assert_null (loaded);
  g_assert_nonnull (strstr (error->message, "newer release"));
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, newer);
  fleet_test_rm_rf (dir);
}

#define SINGLE_FILE_STATE                                                                    \
  "{\n  \"version\" : 1,\n  \"generation\" : 4,\n  \"desired\" : " DOC ",\n"                  \
  "  \"deployments\" : {\n    \"hello\" : {\n      \"phase\" : \"Running\",\n"                  \
  "      \"last_error\" : null,\n      \"last_event_at\" : \"2026-11-27T12:00:01Z\",\n"       \
  "      \"services\" : {\n        \"web\" : {\n          \"container_id\" : \"" ID "\",\n"   \
  "          \"spec_digest\" : \"sha256:abc\"\n        }\n      }\n    }\n  }\n}"

/* Devices may have a state file of version 1 (the document inline): it is
 * read, and the next save writes both files of version 2. */
static void
test_single_file_migrated (void)
{
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autoptr(FleetState) state = NULL;
  g_autoptr(FleetState) again = NULL;
  g_autoptr(FleetDocument) doc = fleet_test_document (DOC);
  g_autoptr(GError) error = NULL;
  g_autofree char *records = NULL;

  write_file (dir, FLEET_STATE_FILE_NAME, SINGLE_FILE_STATE);
  state = fleet_state_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fleet_state_get_generation (state), ==, 4);
  g_assert_true (fleet_document_equal (fleet_state_get_desired (state), doc));
  g_assert_cmpint (fleet_state_lookup_deployment (state, "hello")->phase, ==,
                   FLEET_PHASE_RUNNING);
  g_assert_true (fleet_state_has_container_id (state, ID));

  g_assert_true (fleet_state_save (state, dir, &error));
  g_assert_no_error (error);
  records = read_file (dir, FLEET_STATE_FILE_NAME);
  g_assert_true (g_str_has_prefix (records, "{\"version\":2,"));
  g_assert_null (strstr (records, "PodmanV0"));
  again = fleet_state_load (dir, &error);
  g_assert_no_error (error);
  g_assert_true (fleet_document_equal (fleet_state_get_desired (again), doc));
  g_assert_cmpint (fleet_state_get_generation (again), ==, 4);
  g_assert_cmpstr (fleet_deployment_record_lookup_service (
                     fleet_state_lookup_deployment (again, "hello"), "web")->container_id,
                   ==, ID);
  fleet_test_rm_rf (dir);
}

#define TWO_DEPLOYMENTS(gen, image)                                                          \
  "{\"generation\":" gen ",\"deployments\":{"                                                  \
  "\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"web\",\"image\":\"" \
  image "\"}]}},"                                                                            \
  "\"same\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"db\",\"image\":"     \
  "\"db\"}]}}}}"

/* A state whose records are converged on @doc and Running. */
static FleetState *
converged_state (FleetDocument *doc)
{
  FleetState *state = fleet_state_new ();
  const char *ids[] = { ID, ID2 };

  fleet_state_set_generation (state, doc->generation);
  fleet_state_set_desired (state, doc);
  for (guint i = 0; i < doc->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = doc->deployments->pdata[i];
      FleetServiceSpec *spec = deployment->services->pdata[0];

      fleet_state_set_phase (state, deployment->name, FLEET_PHASE_RUNNING, NULL);
      fleet_state_record_container (state, deployment->name, spec->name, ids[i], spec->digest);
    }
  return state;
}

/* The agent stopped after it wrote the new desired.json and before the
 * records: the new document is taken, what it changes is Pending, the
 * records are kept, and the generation is the higher one. */
static void
test_crash_between_writes (void)
{
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autofree char *state_path = path_in (dir, FLEET_STATE_FILE_NAME);
  g_autoptr(FleetDocument) v1 = fleet_test_document (TWO_DEPLOYMENTS ("4", "img:v1"));
  g_autoptr(FleetDocument) v2 = fleet_test_document (TWO_DEPLOYMENTS ("5", "img:v2"));
  g_autoptr(FleetState) state = converged_state (v1);
  g_autoptr(FleetState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *v2_text = g_strndup (g_bytes_get_data (v2->canonical, NULL),
                                        g_bytes_get_size (v2->canonical));
  const FleetDeploymentRecord *hello;

  fleet_state_set_phase (state, "hello", FLEET_PHASE_RUNNING, "old trouble");
  g_assert_true (fleet_state_save (state, dir, &error));
  write_file (dir, FLEET_STATE_DESIRED_FILE_NAME, v2_text);

  loaded = fleet_state_load (dir, &error);
  g_assert_no_error (error);
  g_assert_true (fleet_document_equal (fleet_state_get_desired (loaded), v2));
  g_assert_cmpint (fleet_state_get_generation (loaded), ==, 5);
  hello = fleet_state_lookup_deployment (loaded, "hello");
  g_assert_cmpint (hello->phase, ==, FLEET_PHASE_PENDING);
  g_assert_null (hello->last_error);
  g_assert_cmpstr (fleet_deployment_record_lookup_service (hello, "web")->container_id, ==, ID);
  g_assert_cmpint (fleet_state_lookup_deployment (loaded, "same")->phase, ==,
                   FLEET_PHASE_RUNNING);

  /* the records' generation may be the higher one (a document without a
   * generation was accepted after generation 9) */
  fleet_state_set_generation (state, 9);
  g_assert_true (fleet_state_save (state, dir, &error));
  write_file (dir, FLEET_STATE_DESIRED_FILE_NAME, v2_text);
  g_clear_pointer (&loaded, fleet_state_free);
  loaded = fleet_state_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fleet_state_get_generation (loaded), ==, 9);

  /* the first document ever: no records yet */
  g_assert_cmpint (g_unlink (state_path), ==, 0);
  g_clear_pointer (&loaded, fleet_state_free);
  loaded = fleet_state_load (dir, &error);
  g_assert_no_error (error);
  g_assert_true (fleet_document_equal (fleet_state_get_desired (loaded), v2));
  g_assert_cmpint (fleet_state_get_generation (loaded), ==, 5);
  g_assert_cmpint (fleet_state_lookup_deployment (loaded, "hello")->phase, ==,
                   FLEET_PHASE_PENDING);
  g_assert_null (fleet_deployment_record_lookup_service (
    fleet_state_lookup_deployment (loaded, "hello"), "web"));
  fleet_test_rm_rf (dir);
}

/* A desired.json that is lost, corrupt, or not a file: no document until
 * the next one, and every record kept. */
static void
test_desired_lost (void)
{
  const char *cases[] = {
    NULL, "", "{\"deployments\":", "{\"deployments\":{\"x\":1}}", "/dev/zero", "huge",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = fleet_test_make_tmpdir ();
      g_autofree char *desired_path = path_in (dir, FLEET_STATE_DESIRED_FILE_NAME);
      g_autoptr(FleetState) state = make_state ();
      g_autoptr(FleetState) loaded = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_true (fleet_state_save (state, dir, &error));
      g_assert_cmpint (g_unlink (desired_path), ==, 0);
      if (cases[i] != NULL && cases[i][0] == '/')
        g_assert_cmpint (symlink (cases[i], desired_path), ==, 0);
      else if (g_strcmp0 (cases[i], "huge") == 0)
        make_sparse_file (desired_path);
      else if (cases[i] != NULL)
        write_file (dir, FLEET_STATE_DESIRED_FILE_NAME, cases[i]);

      loaded = fleet_state_load (dir, &error);
      g_assert_no_error (error);
      g_assert_null (fleet_state_get_desired (loaded));
      g_assert_cmpint (fleet_state_get_generation (loaded), ==, 4);
      g_assert_cmpint (fleet_state_lookup_deployment (loaded, "hello")->phase, ==,
                       FLEET_PHASE_FAILED);
      g_assert_true (fleet_state_has_container_id (loaded, ID));

      /* the next document is written again */
      {
        g_autoptr(FleetDocument) next = fleet_test_document (DOC);

        fleet_state_set_desired (loaded, next);
      }
      g_assert_true (fleet_state_save (loaded, dir, &error));
      g_assert_no_error (error);
      g_clear_pointer (&loaded, fleet_state_free);
      loaded = fleet_state_load (dir, &error);
      g_assert_no_error (error);
      g_assert_nonnull (fleet_state_get_desired (loaded));
      fleet_test_rm_rf (dir);
    }
}

static void
test_corrupt (void)
{
  const char *cases[] = {
    "",
    "{",
    "[]",
    "{\"version\":0,\"deployments\":{}}",
    "{\"version\":2}",
    "{\"version\":1}",
    "{\"version\":2,\"deployments\":{\"a\":{\"phase\":\"Sleeping\",\"services\":{}}}}",
    "{\"version\":2,\"deployments\":{\"a\":{\"phase\":\"Running\",\"services\":{\"s\":"
    "{\"container_id\":\"../../etc\"}}}}}",
    "{\"version\":1,\"desired\":{\"deployments\":[]},\"deployments\":{}}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_static (cases[i], strlen (cases[i]));
      g_autoptr(GError) error = NULL;
      g_autoptr(FleetState) state = fleet_state_deserialize (bytes, NULL, &error);

      g_assert_null (state);
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_CORRUPT);
    }
}

/* Records that cannot be read lose the records, not the document:
 * fleet_state_load() refuses, fleet_state_load_document() gives what is
 * left. */
static void
test_records_corrupt (void)
{
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autofree char *desired_path = path_in (dir, FLEET_STATE_DESIRED_FILE_NAME);
  g_autoptr(FleetState) state = make_state ();
  g_autoptr(FleetState) loaded = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (fleet_state_save (state, dir, &error));
  write_file (dir, FLEET_STATE_FILE_NAME, "{\"version\":2,\"deploym");
  g_assert_null (fleet_state_load (dir, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_CORRUPT);
  g_clear_error (&error);

  loaded = fleet_state_load_document (dir, &error);
  g_assert_no_error (error);
  g_assert_true (fleet_document_equal (fleet_state_get_desired (loaded), fleet_state_get_desired (state)));
  g_assert_cmpint (fleet_state_get_generation (loaded), ==, 4);
  /* the deployment is to be rolled out again, with no container recorded */
  g_assert_false (fleet_state_has_container_id (loaded, ID));
  g_assert_cmpint (fleet_state_lookup_deployment (loaded, "hello")->phase, ==,
                   FLEET_PHASE_PENDING);
  g_clear_pointer (&loaded, fleet_state_free);

  /* a desired.json that is no document leaves nothing either */
  write_file (dir, FLEET_STATE_DESIRED_FILE_NAME, "{\"deployments\":");
  g_assert_null (fleet_state_load_document (dir, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_CORRUPT);
  g_assert_nonnull (strstr (error->message, FLEET_STATE_DESIRED_FILE_NAME));
  g_clear_error (&error);

  /* and without a desired.json there is nothing left */
  g_assert_cmpint (g_unlink (desired_path), ==, 0);
  g_assert_null (fleet_state_load_document (dir, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  fleet_test_rm_rf (dir);
}

/* A state file replaced by something that is not one, or grown beyond
 * what one can be, is refused, not read. */
static void
test_not_a_file (void)
{
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autofree char *path = path_in (dir, FLEET_STATE_FILE_NAME);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (symlink ("/dev/zero", path), ==, 0);
  g_assert_null (fleet_state_load (dir, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_CORRUPT);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);

  g_assert_cmpint (g_unlink (path), ==, 0);
  make_sparse_file (path);
  g_assert_null (fleet_state_load (dir, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_CORRUPT);
  g_assert_nonnull (strstr (error->message, "larger than a state file can be"));
  fleet_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_test_add_func ("/state/round-trip", test_round_trip);
  g_test_add_func ("/state/save-load", test_save_load);
  g_test_add_func ("/state/document-written-once", test_document_written_once);
  g_test_add_func ("/state/journal-mismatch-and-torn-tail", test_journal_mismatch_and_torn_tail);
  g_test_add_func ("/state/newer-version-refused", test_newer_version_refused);
  g_test_add_func ("/state/single-file-migrated", test_single_file_migrated);
  g_test_add_func ("/state/crash-between-writes", test_crash_between_writes);
  g_test_add_func ("/state/desired-lost", test_desired_lost);
  g_test_add_func ("/state/corrupt", test_corrupt);
  g_test_add_func ("/state/records-corrupt", test_records_corrupt);
  g_test_add_func ("/state/not-a-file", test_not_a_file);

  return g_test_run ();
}
