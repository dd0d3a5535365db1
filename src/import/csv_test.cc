// The CSV reader: libcsv quoting, line numbers, header and row refusals
// (CONTRACT §9.23).
#include "import/csv.h"

#include <gtest/gtest.h>

namespace cocreate {
namespace {

TEST(CsvReaderTest, QuotedCommasQuotesAndNewlines) {
  Catalog c = ReadCsv(
      "external_id,name,description\n"
      "acme,\"Acme, Inc.\",\"Makes \"\"everything\"\"\nin two lines\"\n"
      "globex,Globex,\n",
      CsvKind::kOrganizations, "orgs.csv");
  ASSERT_TRUE(c.refused.empty()) << c.refused[0].message;
  ASSERT_EQ(c.organizations.size(), 2u);
  EXPECT_EQ(c.organizations[0].name, "Acme, Inc.");
  EXPECT_EQ(*c.organizations[0].description, "Makes \"everything\"\nin two lines");
  EXPECT_EQ(c.organizations[0].origin.line, 2);
  EXPECT_EQ(c.organizations[1].origin.line, 4);
  EXPECT_EQ(*c.organizations[1].description, "");
  EXPECT_TRUE(c.ids_allowed);
}

TEST(CsvReaderTest, ByteOrderMarkCrlfAndColumnsInAnyOrder) {
  Catalog c = ReadCsv("\xEF\xBB\xBFname,kind,owner,external_id,attributes.region,created_at\r\n"
                      "Main DB,database,acme,db-1,eu-west,2023-05-01\r\n",
                      CsvKind::kResources, "r.csv");
  ASSERT_TRUE(c.refused.empty()) << c.refused[0].message;
  ASSERT_EQ(c.resources.size(), 1u);
  const PlannedResource& r = c.resources[0];
  EXPECT_EQ(r.external_id, "db-1");
  EXPECT_EQ(r.owner, "acme");
  EXPECT_EQ(r.attributes.Find("region")->as_string(), "eu-west");
  EXPECT_EQ(r.attributes.Find("source")->Dump(),
            R"({"format":"csv","created_at":"2023-05-01"})");
}

TEST(CsvReaderTest, ServiceListsAreSpaceSeparated) {
  Catalog c = ReadCsv("external_id,provider,name,built_on,depends_on\n"
                      "s1,acme,Shop,\"db-1  db-2\",\n",
                      CsvKind::kServices, "s.csv");
  ASSERT_EQ(c.services.size(), 1u);
  EXPECT_EQ(c.services[0].built_on, (std::vector<std::string>{"db-1", "db-2"}));
  EXPECT_TRUE(c.services[0].depends_on.empty());
}

TEST(CsvReaderTest, WrongHeaderRefusesTheFile) {
  Catalog unknown = ReadCsv("external_id,name,colour\na,A,red\n", CsvKind::kOrganizations, "o.csv");
  ASSERT_EQ(unknown.refused.size(), 1u);
  EXPECT_EQ(unknown.refused[0].code, "invalid_header");
  EXPECT_EQ(unknown.refused[0].line, 1);
  EXPECT_TRUE(unknown.organizations.empty());
  Catalog missing = ReadCsv("external_id,name\na,A\n", CsvKind::kResources, "r.csv");
  ASSERT_EQ(missing.refused.size(), 1u);
  EXPECT_EQ(missing.refused[0].code, "invalid_header");
  EXPECT_NE(missing.refused[0].message.find("owner"), std::string::npos);
  Catalog twice = ReadCsv("external_id,name,name\n", CsvKind::kOrganizations, "o.csv");
  EXPECT_EQ(twice.refused[0].code, "invalid_header");
  Catalog empty = ReadCsv("", CsvKind::kOrganizations, "o.csv");
  ASSERT_EQ(empty.refused.size(), 1u);
  EXPECT_EQ(empty.refused[0].code, "invalid_header");
  // attributes.KEY is for organizations and resources only.
  Catalog attrs = ReadCsv("external_id,provider,name,attributes.x\n", CsvKind::kServices, "s.csv");
  EXPECT_EQ(attrs.refused[0].code, "invalid_header");
}

TEST(CsvReaderTest, BadRowsAreRefusedAlone) {
  Catalog c = ReadCsv("external_id,name\n"
                      "a,A\n"
                      "b\n"
                      "c,\n"
                      "a,Again\n"
                      "\n"
                      "d,D\n",
                      CsvKind::kOrganizations, "o.csv");
  ASSERT_EQ(c.refused.size(), 3u);
  EXPECT_EQ(c.refused[0].code, "invalid_row");
  EXPECT_EQ(c.refused[0].line, 3);
  EXPECT_EQ(c.refused[1].code, "missing_field");
  EXPECT_EQ(c.refused[1].entity, "c");
  EXPECT_EQ(c.refused[1].line, 4);
  EXPECT_EQ(c.refused[2].code, "duplicate_external_id");
  EXPECT_EQ(c.refused[2].line, 5);
  ASSERT_EQ(c.organizations.size(), 2u);
  EXPECT_EQ(c.organizations[1].external_id, "d");
  EXPECT_EQ(c.organizations[1].origin.line, 7);
}

TEST(CsvReaderTest, UnterminatedQuoteIsNotCsv) {
  Catalog c = ReadCsv("external_id,name\na,\"open\nb,B\n", CsvKind::kOrganizations, "o.csv");
  ASSERT_EQ(c.refused.size(), 1u);
  EXPECT_EQ(c.refused[0].code, "invalid_csv");
  EXPECT_EQ(c.refused[0].line, 2);  // where the row with the open quote starts
  EXPECT_TRUE(c.organizations.empty());
  // The same with the quote opening the row's first cell, in a file of two lines.
  Catalog first = ReadCsv("external_id,name\n\"a,b\n", CsvKind::kOrganizations, "o.csv");
  ASSERT_EQ(first.refused.size(), 1u);
  EXPECT_EQ(first.refused[0].code, "invalid_csv");
  EXPECT_EQ(first.refused[0].line, 2);
  Catalog stray = ReadCsv("external_id,name\na,x\"y\"\n", CsvKind::kOrganizations, "o.csv");
  ASSERT_EQ(stray.refused.size(), 1u);
  EXPECT_EQ(stray.refused[0].code, "invalid_csv");
  EXPECT_EQ(stray.refused[0].line, 2);
}

TEST(CsvKindTest, Names) {
  EXPECT_EQ(CsvKindFromName("services"), CsvKind::kServices);
  EXPECT_FALSE(CsvKindFromName("offerings"));
}

}  // namespace
}  // namespace cocreate
